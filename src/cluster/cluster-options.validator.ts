import { KwsError } from '../errors/kws.error.js';
import {
  CLUSTER_BAD_TTL,
  CLUSTER_REDIS_INVALID,
  CLUSTER_REDIS_MISSING,
  CLUSTER_REDIS_SCHEME,
  INVALID_OPTION,
} from '../kws.messages.js';
import { assertKnownKeys } from '../kws-options.keys.js';
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
  assertKnownKeys(options, 'cluster');
  if (options.requireRedis !== undefined && typeof options.requireRedis !== 'boolean') {
    throw new KwsError(INVALID_OPTION('cluster.requireRedis', options.requireRedis, 'a boolean'));
  }
  // ioredis reads "http://h:6379" as host "http" and retries it forever, without a word.
  const scheme =
    typeof redis === 'string' ? /^([a-z][a-z0-9+.-]*):\/\//i.exec(redis)?.[1] : undefined;
  if (scheme !== undefined && !/^rediss?$/i.test(scheme)) {
    throw new KwsError(CLUSTER_REDIS_SCHEME(scheme, withoutPassword(redis as string)));
  }
  const interval = options.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL;
  const ttl = options.nodeTtl ?? DEFAULT_NODE_TTL;
  // A TTL that one late heartbeat can miss would make live nodes flap between dead and alive.
  if (!(ttl >= 2 * interval && interval > 0)) throw new KwsError(CLUSTER_BAD_TTL(interval, ttl));
}

/** A Redis URL fit for a log line: its password (and user) replaced by `***`. */
export function withoutPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
}
