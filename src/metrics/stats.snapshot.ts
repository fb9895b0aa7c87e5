import type { KwsBroker } from '../broker/kws-broker.interface.js';
import type { KwsConnectionPool } from '../server/connection.pool.js';
import type { KwsStats } from './kws.stats.js';
import type { KwsStatsSnapshot } from './kws-stats.interface.js';

/** Reads the counters and the gauges' owners into one plain object (a copy: safe to keep). */
export function snapshotStats(
  stats: KwsStats,
  pool: KwsConnectionPool,
  broker: KwsBroker,
): KwsStatsSnapshot {
  const cluster = broker.clusterSnapshot?.();
  let pendingRequests = cluster?.pendingRequests ?? 0;
  for (const kws of pool.values()) pendingRequests += kws.pendingRequests;
  return {
    listening: stats.listening,
    connections: pool.size,
    upgrades: { accepted: stats.upgradesAccepted, refused: { ...stats.upgradesRefused } },
    messages: { in: stats.messagesIn, out: stats.messagesOut },
    bytes: { in: stats.bytesIn, out: stats.bytesOut },
    slowConsumer: { drops: stats.slowConsumerDrops, kills: stats.slowConsumerKills },
    heartbeatTimeouts: stats.heartbeatTimeouts,
    listenerErrors: stats.listenerErrors,
    rateLimit: { drops: stats.rateLimitDrops, closes: stats.rateLimitCloses },
    inFlightDrops: stats.inFlightDrops,
    pendingRequests,
    ...(cluster && { cluster }),
  };
}
