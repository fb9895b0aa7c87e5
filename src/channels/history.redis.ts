import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedisConnections, type RedisConnections } from '../cluster/redis.connections.js';
import {
  DEFAULT_CLUSTER_KEY_PREFIX,
  DEFAULT_REQUEST_TIMEOUT,
  type KwsClusterOptions,
} from '../cluster/kws-cluster-options.interface.js';
import {
  DEFAULT_HISTORY_LIMIT,
  parseSeq,
  type KwsHistoryPage,
  type KwsHistoryQuery,
  type KwsHistoryStore,
} from './history.store.js';
import type { KwsChannelHistoryOptions } from './on-kws-channel.decorator.js';

/**
 * KEYS: stream, epoch, counter. ARGV: epoch candidate, message JSON, size or '', MINID or '',
 * ttl ms or ''. Numbers the message (n: one more than the last), appends it, trims, and answers
 * `[epoch, n]`.
 */
const APPEND = `
redis.call('SET', KEYS[2], ARGV[1], 'NX')
local n = redis.call('INCR', KEYS[3])
redis.call('XADD', KEYS[1], '*', 'm', ARGV[2], 'n', n)
if ARGV[3] ~= '' then redis.call('XTRIM', KEYS[1], 'MAXLEN', '=', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('XTRIM', KEYS[1], 'MINID', ARGV[4]) end
if ARGV[5] ~= '' then
  for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ARGV[5]) end
end
return {redis.call('GET', KEYS[2]), n}`;

/**
 * KEYS: stream, epoch, counter. ARGV: MINID or '', since n or '', limit. Answers
 * `[epoch, last n, kept, entries newest first]`: messages are numbered without gaps, so the kept
 * ones are the last `kept` numbers and "after n" is the last `last - n` entries.
 */
const READ = `
if ARGV[1] ~= '' then redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1]) end
local epoch = redis.call('GET', KEYS[2])
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local kept = redis.call('XLEN', KEYS[1])
local count = tonumber(ARGV[3])
if ARGV[2] ~= '' then count = math.min(kept, last - tonumber(ARGV[2])) end
local entries = {}
if count > 0 then entries = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', count) end
return {epoch or '', last, kept, entries}`;

/**
 * Cluster mode: a channel's history is a Redis stream, `<prefix>:ch:{<name>}:h`, read the same
 * from every node, with its epoch (`…:e`, created with the stream, so a stream that expired and
 * started over is told apart) and its message counter (`…:n`) beside it. An append is one script
 * (number, XADD, trim by size and ttl, PEXPIRE); a read is one script (XREVRANGE of the last
 * entries). Messages go in as JSON.
 */
export class RedisHistoryStore implements KwsHistoryStore {
  private readonly prefix: string;
  private connections: Promise<RedisConnections> | undefined;

  constructor(
    private readonly options: KwsClusterOptions,
    /** The endpoint's name: endpoints sharing a keyPrefix keep apart histories. */
    endpoint = '',
  ) {
    const prefix = options.keyPrefix ?? DEFAULT_CLUSTER_KEY_PREFIX;
    this.prefix = endpoint ? `${prefix}:ch:${endpoint}:` : `${prefix}:ch:`;
  }

  async append(
    channel: string,
    history: KwsChannelHistoryOptions,
    event: string,
    data: unknown,
  ): Promise<string> {
    const redis = await this.commands();
    const [epoch, n] = (await redis.eval(
      APPEND,
      3,
      ...this.keys(channel),
      randomBytes(6).toString('base64url'),
      JSON.stringify({ e: event, d: data }),
      history.size === undefined ? '' : String(history.size),
      history.ttl === undefined ? '' : `${Date.now() - history.ttl}-0`,
      history.ttl === undefined ? '' : String(Math.ceil(history.ttl)),
    )) as [string, number];
    return `${epoch}.${n}`;
  }

  async read(
    channel: string,
    history: KwsChannelHistoryOptions,
    query: KwsHistoryQuery,
  ): Promise<KwsHistoryPage> {
    const redis = await this.commands();
    const limit = query.limit ?? DEFAULT_HISTORY_LIMIT;
    const since = query.since === undefined ? undefined : parseSeq(query.since);
    const after = since ? Number(since.offset) : NaN;
    if (query.since !== undefined && !Number.isSafeInteger(after)) {
      return { messages: [], complete: false, seq: '' };
    }
    const [epoch, last, kept, entries] = (await redis.eval(
      READ,
      3,
      ...this.keys(channel),
      history.ttl === undefined ? '' : `${Date.now() - history.ttl}-0`,
      query.since === undefined ? '' : String(after),
      String(limit),
    )) as [string, number, number, [string, string[]][]];
    const seq = kept > 0 && epoch ? `${epoch}.${last}` : '';
    const complete =
      query.since === undefined ||
      (since!.epoch === epoch && after >= last - kept && after <= last);
    if (!complete) return { messages: [], complete, seq };
    const messages = [...entries]
      .reverse()
      .slice(0, limit)
      .map(([, fields]) => {
        const { e, d } = JSON.parse(fields[1]) as { e: string; d: unknown };
        return { seq: `${epoch}.${fields[3]}`, event: e, data: d };
      });
    return { messages, complete, seq };
  }

  async size(channel: string, history: KwsChannelHistoryOptions): Promise<number> {
    const redis = await this.commands();
    // The read script with a limit of 0: the trim by ttl, then only the count of kept messages.
    const [, , kept] = (await redis.eval(
      READ,
      3,
      ...this.keys(channel),
      history.ttl === undefined ? '' : `${Date.now() - history.ttl}-0`,
      '',
      '0',
    )) as [string, number, number];
    return kept;
  }

  async stop(): Promise<void> {
    const connections = await this.connections?.catch(() => undefined);
    connections?.commands.disconnect();
    connections?.subscriber.disconnect();
  }

  private keys(channel: string): [string, string, string] {
    // One hash slot per channel (Redis Cluster runs each script on one shard).
    const base = `${this.prefix}{${channel}}`;
    return [`${base}:h`, `${base}:e`, `${base}:n`];
  }

  private commands(): Promise<Redis> {
    this.connections ??= createRedisConnections(
      this.options,
      this.options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT,
    ).then(async (connections) => {
      // Failures show in the scripts' rejections, not as ioredis noise.
      connections.commands.on('error', () => undefined);
      await connections.commands.connect();
      return connections;
    });
    return this.connections.then((connections) => connections.commands);
  }
}
