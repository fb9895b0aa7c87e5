import { Injectable } from '@nestjs/common';
import type { KwsStatsSnapshot } from '../metrics/kws-stats.interface.js';
import { KwsServer } from '../server/kws.server.js';

/** What `KwsHealthIndicator.isHealthy` returns: terminus's `HealthIndicatorResult` shape. */
export type KwsHealthIndicatorResult<Key extends string = string> = Record<
  Key,
  { status: 'up' | 'down'; [detail: string]: unknown }
>;

/** Options of `KwsHealthIndicator.isHealthy`. */
export interface KwsHealthCheckOptions {
  /** The endpoint to check (a named one's `KwsServer`); default the unnamed endpoint's. */
  server?: KwsServer;
}

/**
 * A `@nestjs/terminus` health indicator: up while the endpoint listens and, in cluster mode, while
 * both Redis connections are ready and this node is registered. Details: open connections, and the
 * cluster's nodes and Redis round trip. It returns terminus's result shape (a `down` status makes
 * the check fail with 503), so nestjs-kws itself never imports terminus.
 */
@Injectable()
export class KwsHealthIndicator {
  constructor(private readonly server: KwsServer) {}

  /** The endpoint's health under `key` (terminus's `HealthIndicatorResult`): `up` or `down`. */
  isHealthy<Key extends string = 'kws'>(
    key: Key = 'kws' as Key,
    options: KwsHealthCheckOptions = {},
  ): KwsHealthIndicatorResult<Key> {
    const stats = (options.server ?? this.server).stats();
    const problems = problemsOf(stats);
    const { cluster } = stats;
    const details = {
      listening: stats.listening,
      connections: stats.connections,
      ...(cluster && {
        cluster: {
          nodeId: cluster.nodeId,
          nodes: cluster.nodes,
          registered: cluster.registered,
          redis: cluster.redis,
          redisRoundTripMs: cluster.redisRoundTripMs,
        },
      }),
    };
    const status: 'up' | 'down' = problems.length === 0 ? 'up' : 'down';
    const result = problems.length === 0 ? details : { ...details, message: problems.join('; ') };
    const entry: KwsHealthIndicatorResult[string] = { status, ...result };
    return { [key]: entry } as KwsHealthIndicatorResult<Key>;
  }

  /**
   * Readiness (a Kubernetes `readinessProbe`): `isHealthy`, and down as soon as the endpoint
   * begins shutting down (`draining: true`), before any socket is closed, so a load balancer stops
   * sending new connections first. Keep `isHealthy` for the liveness probe (Kubernetes does not
   * restart a pod that is already terminating).
   */
  isReady<Key extends string = 'kws'>(
    key: Key = 'kws' as Key,
    options: KwsHealthCheckOptions = {},
  ): KwsHealthIndicatorResult<Key> {
    const result = this.isHealthy(key, options);
    if (!(options.server ?? this.server).draining) return result;
    const entry: KwsHealthIndicatorResult[string] = result[key];
    const message = ['the endpoint is draining (shutting down)', entry.message]
      .filter(Boolean)
      .join('; ');
    const down: KwsHealthIndicatorResult[string] = {
      ...entry,
      status: 'down',
      draining: true,
      message,
    };
    return { [key]: down } as KwsHealthIndicatorResult<Key>;
  }
}

function problemsOf(stats: KwsStatsSnapshot): string[] {
  const problems: string[] = [];
  if (!stats.listening) problems.push('the WebSocket endpoint is not listening');
  const { cluster } = stats;
  if (cluster) {
    if (!cluster.redis.commands)
      problems.push("the cluster's Redis command connection is not ready");
    if (!cluster.redis.subscriber) problems.push("the cluster's Redis subscriber is not ready");
    if (!cluster.registered) problems.push('this node is not registered in the cluster');
  }
  return problems;
}
