/** An ioredis client used as a template: the broker opens its own connections with `duplicate()`. */
export interface KwsRedisClientLike {
  duplicate(override?: Record<string, unknown>): unknown;
}

/** An ioredis `Cluster` (Redis Cluster) used as a template, duplicated and never closed. */
export interface KwsRedisClusterLike {
  readonly isCluster: boolean;
  duplicate(startupNodes?: unknown[], options?: Record<string, unknown>): unknown;
}

/**
 * Where the cluster's Redis is: a URL (`redis://127.0.0.1:6379/0`), ioredis `RedisOptions`, an
 * ioredis client, or an ioredis `Cluster` (used as templates and never closed by the library).
 */
export type KwsRedisConnection =
  string | KwsRedisClientLike | KwsRedisClusterLike | Record<string, unknown>;

/** Options of cluster mode: `KwsModule.forRoot({ cluster: { redis: 'redis://...' } })`. */
export interface KwsClusterOptions {
  /**
   * The Redis every node of the cluster shares: standalone or Sentinel (a URL, ioredis options or
   * client), or Redis Cluster (an ioredis `Cluster` instance).
   */
  redis: KwsRedisConnection;
  /** Prefix of every key and channel, so several apps can share one Redis. Default `kws`. */
  keyPrefix?: string;
  /** Milliseconds between liveness refreshes of this node. Default 1 000. */
  heartbeatInterval?: number;
  /**
   * Milliseconds after its last refresh that a silent node counts as dead: its connections leave
   * `count()` and its uuids become invalid and claimable. Default 3 000.
   */
  nodeTtl?: number;
  /** Milliseconds to wait for Redis or for another node's answer before failing. Default 2 000. */
  requestTimeout?: number;
  /**
   * A channel per room, listened to only by the nodes holding members of it, so a room broadcast
   * costs the nodes that deliver it and no others. Default true. Turn it off for many rooms of one
   * member each (a room per user): every first join and last leave costs a SUBSCRIBE/UNSUBSCRIBE,
   * while off, room broadcasts go to every node on the one broadcast channel.
   */
  roomChannels?: boolean;
  /**
   * Refuse to start without Redis: bootstrap rejects with a `KwsError` naming Redis and its
   * address when this node cannot join within `requestTimeout`. Default false: the app starts,
   * serves its local connections and joins (recovery included) when Redis comes.
   */
  requireRedis?: boolean;
}

export const DEFAULT_CLUSTER_KEY_PREFIX = 'kws';
export const DEFAULT_HEARTBEAT_INTERVAL = 1_000;
export const DEFAULT_NODE_TTL = 3_000;
export const DEFAULT_REQUEST_TIMEOUT = 2_000;
/** Longest pause between reconnect attempts when the options do not set a `retryStrategy`. */
export const MAX_RECONNECT_DELAY = 1_000;
