import { KwsError } from '../errors/kws.error.js';
import { CLUSTER_BAD_TTL, CLUSTER_REDIS_INVALID, CLUSTER_REDIS_MISSING } from '../kws.messages.js';
import {
  DEFAULT_HEARTBEAT_INTERVAL,
  DEFAULT_NODE_TTL,
  type KwsClusterOptions,
} from './kws-cluster-options.interface.js';

/**
 * Refuses at bootstrap what would fail later or silently: an undefined `redis` (which ioredis
 * would read as 127.0.0.1:6379), a TTL one late heartbeat can miss.
 */
export function validateClusterOptions(options: KwsClusterOptions): void {
  const { redis } = options;
  if (redis === undefined || redis === null || redis === '')
    throw new KwsError(CLUSTER_REDIS_MISSING);
  if (typeof redis !== 'string' && typeof redis !== 'object') {
    throw new KwsError(CLUSTER_REDIS_INVALID(redis));
  }
  const interval = options.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL;
  const ttl = options.nodeTtl ?? DEFAULT_NODE_TTL;
  // A TTL that one late heartbeat can miss would make live nodes flap between dead and alive.
  if (!(ttl >= 2 * interval && interval > 0)) throw new KwsError(CLUSTER_BAD_TTL(interval, ttl));
}
