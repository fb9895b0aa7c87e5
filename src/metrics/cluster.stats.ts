import type { KwsClusterSnapshot } from './kws-stats.interface.js';

/** Cross-node operations whose failure is a failed publish to every node; others are routed. */
const PUBLISHES = new Set(['broadcast', 'fire', 'closeAll']);
/** Calls that read the directory only (count): not a delivery, so neither kind of failure. */
const READS = new Set(['count']);

interface ConnectionStatus {
  readonly status: string;
}

/**
 * A cluster broker's figures for `KwsServer.stats()` and the health indicator: kept by the broker
 * with one call where each happens, read at snapshot time.
 */
export class KwsClusterStatsRecorder {
  nodes = 0;
  registered = false;
  roundTripMs: number | undefined;
  publishFailures = 0;
  routeFailures = 0;
  private connections: { commands: ConnectionStatus; subscriber: ConnectionStatus } | undefined;

  /** The broker's two Redis connections, whose readiness is read at snapshot time. */
  watch(connections: { commands: ConnectionStatus; subscriber: ConnectionStatus }): void {
    this.connections = connections;
  }

  /** Times a heartbeat and keeps what it said: the live nodes, and whether this one is alive. */
  async heartbeat<T extends { status: string; live: number }>(beat: Promise<T>): Promise<T> {
    const started = performance.now();
    const answer = await beat;
    this.roundTripMs = performance.now() - started;
    this.nodes = answer.live;
    this.registered = answer.status === 'alive';
    return answer;
  }

  /** A cross-node call named `what` could not reach Redis. */
  failed(what: string): void {
    if (PUBLISHES.has(what)) this.publishFailures++;
    else if (!READS.has(what)) this.routeFailures++;
  }

  snapshot(
    nodeId: string,
    pendingRequests: number,
    counters: Readonly<
      Pick<
        KwsClusterSnapshot,
        'subscriptionLosses' | 'unreadableMessages' | 'rejoins' | 'gaps' | 'missedMessages'
      >
    >,
  ): KwsClusterSnapshot {
    return {
      nodeId,
      subscriptionLosses: counters.subscriptionLosses,
      unreadableMessages: counters.unreadableMessages,
      rejoins: counters.rejoins,
      gaps: counters.gaps,
      missedMessages: counters.missedMessages,
      nodes: this.nodes,
      registered: this.registered,
      redis: {
        commands: this.connections?.commands.status === 'ready',
        subscriber: this.connections?.subscriber.status === 'ready',
      },
      redisRoundTripMs: this.roundTripMs,
      publishFailures: this.publishFailures,
      routeFailures: this.routeFailures,
      pendingRequests,
    };
  }
}
