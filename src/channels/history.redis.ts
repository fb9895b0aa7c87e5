import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  createRedisConnections,
  openEveryMaster,
  type RedisConnections,
} from '../cluster/redis.connections.js';
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
import { APPEND, READ } from './history.scripts.js';

/**
 * Cluster mode: a channel's history is a Redis stream, `{<prefix>:ch:<name>}:h`, read the same
 * from every node, with its epoch (`…:e`, created with the stream, so a stream that expired and
 * started over is told apart) and its message counter (`…:n`) beside it. The three keys share the
 * hash tag `{<prefix>:ch:<name>}` (the `{<prefix>:…}` convention of the other cluster keys): one
 * slot per channel, so each script touches one slot while channels spread over a Redis Cluster's
 * masters. A named endpoint's keys add its name after the tag (`{…}:<endpoint>:h`). An append is
 * one script (number, XADD, trim by size and ttl, PEXPIRE); a read is one script (XREVRANGE of the
 * last entries). Messages go in as JSON.
 */
export class RedisHistoryStore implements KwsHistoryStore {
  private readonly prefix: string;
  /** After the hash tag: `<endpoint>:` for a named endpoint, '' otherwise. */
  private readonly suffix: string;
  private connections: Promise<RedisConnections> | undefined;

  constructor(
    private readonly options: KwsClusterOptions,
    /** The endpoint's name: endpoints sharing a keyPrefix keep apart histories. */
    endpoint = '',
  ) {
    this.prefix = `${options.keyPrefix ?? DEFAULT_CLUSTER_KEY_PREFIX}:ch:`;
    this.suffix = endpoint ? `${endpoint}:` : '';
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
    // One hash slot per channel (Redis Cluster runs each script on one shard). A name with a `}`
    // cuts the tag short, the same way in the three keys: they still share a slot.
    const base = `{${this.prefix}${channel}}:${this.suffix}`;
    return [`${base}h`, `${base}e`, `${base}n`];
  }

  private commands(): Promise<Redis> {
    this.connections ??= createRedisConnections(
      this.options,
      this.options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT,
    ).then(async (connections) => {
      // Failures show in the scripts' rejections, not as ioredis noise.
      connections.commands.on('error', () => undefined);
      await connections.commands.connect();
      // Redis Cluster: a burst of first calls to a master still opening would be refused.
      await openEveryMaster(connections).catch(() => undefined);
      return connections;
    });
    return this.connections.then((connections) => connections.commands);
  }
}
