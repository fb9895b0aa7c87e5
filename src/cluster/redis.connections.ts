import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import {
  MAX_RECONNECT_DELAY,
  type KwsClusterOptions,
  type KwsRedisClientLike,
} from './kws-cluster-options.interface.js';
import { loadIoredis } from './ioredis.loader.js';
import { withoutPassword } from './cluster-options.validator.js';

/**
 * The two connections a node holds: one for commands, one subscribed to its channels. With Redis
 * Cluster (`sharded`) both are ioredis `Cluster` clients, which offer the same calls; channels are
 * then sharded (SSUBSCRIBE/SPUBLISH).
 */
export interface RedisConnections {
  commands: Redis;
  subscriber: Redis;
  sharded: boolean;
}

/**
 * Opens the node's connections (not yet connected: `lazyConnect`). Commands fail fast while Redis
 * is away (no offline queue, a command timeout) so a cross-node call never hangs, and are never
 * re-sent; both connections keep reconnecting on their own.
 */
export async function createRedisConnections(
  options: KwsClusterOptions,
  commandTimeout: number,
  /** Redis Cluster: more options for the commands client (see RedisRecoveryStore). */
  clusterCommands: Partial<ClusterOptions> = {},
): Promise<RedisConnections> {
  const failFast: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    // A command in flight when the connection drops may have run: re-sending it after the
    // reconnect would deliver twice. It fails instead (KwsOutcomeUnknownError).
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 1,
    commandTimeout,
  };
  // The broker re-subscribes itself after a reconnect, then rejoins (see KwsRedisBroker).
  const subscribe: RedisOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    autoResubscribe: false,
  };
  const { redis } = options;
  if (isCluster(redis)) {
    // Redis Cluster: the options of each node's connection go in `redisOptions`.
    const template = redis as unknown as Cluster;
    const nodeOptions = template.options.redisOptions ?? {};
    // The cluster client routes, follows MOVED and refreshes the slots after a failover; each
    // node connection only keeps the no-resend rule and the command timeout. A command whose
    // connection closed before its reply may have run: the cluster client would re-send it after
    // `retryDelayOnFailover` (a duplicate PUBLISH); 0 makes it fail (KwsOutcomeUnknownError).
    // Redirections (MOVED, ASK, TRYAGAIN) are answers of a command that did not
    // run, so following them stays safe, except CLUSTERDOWN: the cluster client would send the
    // command again `retryDelayOnClusterDown` later, after calls made since (a failover delivered
    // emitTo calls out of order, even in shards whose master stayed up); 0 fails it at once
    // (KwsClusterUnavailableError: not sent).
    const commands: Partial<ClusterOptions> = {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryDelayOnFailover: 0,
      retryDelayOnClusterDown: 0,
      slotsRefreshInterval: 1_000,
      redisOptions: { ...nodeOptions, autoResendUnfulfilledCommands: false, commandTimeout },
      ...clusterCommands,
    };
    const subscriber: Partial<ClusterOptions> = {
      lazyConnect: true,
      shardedSubscribers: true,
      redisOptions: { ...nodeOptions, autoResubscribe: false },
    };
    return {
      commands: template.duplicate([], commands) as unknown as Redis,
      subscriber: template.duplicate([], subscriber) as unknown as Redis,
      sharded: true,
    };
  }
  if (isClient(redis)) {
    return {
      commands: redis.duplicate({ ...failFast }) as Redis,
      subscriber: redis.duplicate({ ...subscribe }) as Redis,
      sharded: false,
    };
  }
  const Redis = await loadIoredis();
  const base: RedisOptions = typeof redis === 'string' ? {} : { ...(redis as RedisOptions) };
  base.retryStrategy ??= (attempt: number) => Math.min(attempt * 100, MAX_RECONNECT_DELAY);
  const open = (extra: RedisOptions): Redis =>
    typeof redis === 'string'
      ? new Redis(redis, { ...base, ...extra })
      : new Redis({ ...base, ...extra });
  return { commands: open(failFast), subscriber: open(subscribe), sharded: false };
}

/** An ioredis `Cluster` (Redis Cluster), used as a template like a client. */
export function isCluster(redis: KwsClusterOptions['redis']): boolean {
  return typeof redis === 'object' && (redis as { isCluster?: unknown }).isCluster === true;
}

function isClient(redis: KwsClusterOptions['redis']): redis is KwsRedisClientLike {
  return typeof redis === 'object' && typeof (redis as KwsRedisClientLike).duplicate === 'function';
}

/**
 * Redis Cluster: opens the commands client's connection to every master and waits until each is
 * ready. The cluster client opens them lazily, and without an offline queue it refuses a command
 * for a master whose connection is still opening ("Connection is closed."): a node's first join
 * failed so in the shards of every master but one. Standalone: nothing to do.
 */
export async function openEveryMaster(connections: RedisConnections): Promise<void> {
  if (!connections.sharded) return;
  const cluster = connections.commands as unknown as Cluster;
  await Promise.all(cluster.nodes('master').map((master) => master.ping()));
}

/**
 * Connects both connections (lazily opened), and on Redis Cluster every master's (see
 * `openEveryMaster`); false when Redis did not answer within `ms`. They keep reconnecting either
 * way: Redis away at boot is waited for, not a crash.
 */
export async function connectWithin(connections: RedisConnections, ms: number): Promise<boolean> {
  const { commands, subscriber } = connections;
  const connected = Promise.all([commands.connect(), subscriber.connect()])
    .then(() => openEveryMaster(connections))
    .then(
      () => true,
      () => false,
    );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([connected, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Where the cluster's Redis is, for a log line or an error: never its password. */
export function redisLocation(redis: KwsClusterOptions['redis']): string {
  if (typeof redis === 'string') return withoutPassword(redis);
  if (isCluster(redis)) return 'the given ioredis Cluster';
  if (isClient(redis)) return 'the given ioredis client';
  const options = redis as RedisOptions & { sentinels?: { host?: string; port?: number }[] };
  if (options.sentinels?.length) {
    const sentinels = options.sentinels.map((s) => `${s.host ?? '127.0.0.1'}:${s.port ?? 26379}`);
    return `sentinels ${sentinels.join(', ')} (master "${String(options.name)}")`;
  }
  if (options.path) return options.path;
  return `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`;
}
