import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import {
  createRedisConnections,
  openEveryMaster,
  type RedisConnections,
} from '../cluster/redis.connections.js';
import {
  DEFAULT_CLUSTER_KEY_PREFIX,
  DEFAULT_HEARTBEAT_INTERVAL,
  DEFAULT_NODE_TTL,
  DEFAULT_REQUEST_TIMEOUT,
  type KwsClusterOptions,
} from '../cluster/kws-cluster-options.interface.js';
import { PRESENCE_SYNC_FAILED } from '../kws.messages.js';
import type { KwsPresenceMeta } from './presence.types.js';
import type { KwsPresenceRecord } from './kws.presence.js';

/** One node's changes of one channel: `j` joins `[key, meta]`, `l` leaves `[key, ref]`. */
export interface PresenceChange {
  n: string;
  c: string;
  j: [string, KwsPresenceMeta<object>, string][];
  l: [string, string][];
}

/** What the sync tells presence about the other nodes. */
export interface PresenceReplica {
  /** Another node's changes of one channel (idempotent: a known join, an unknown leave do nothing). */
  apply(change: PresenceChange): void;
  /** Replaces every entry of a node (`[]`: it died or left), one diff per channel. */
  replaceNode(node: string, entries: KwsPresenceRecord[]): void;
  /** This node's own entries. */
  localEntries(): KwsPresenceRecord[];
  /** Another node claimed entries (a session moved there); returns the refs that were ours. */
  movedTo(node: string, records: KwsPresenceRecord[]): string[];
}

/**
 * Cluster mode: the same presence on every node. Each node keeps its own entries in a hash
 * (`<prefix>:pr:<node>`, ref -> `[channel, key, meta]`) and publishes each batch of a channel as
 * ONE message on `<prefix>:pr` (hash write and publish in one MULTI, so a node that loads the
 * hashes and then reads the channel misses nothing: replaying a change is a no-op). A node whose
 * liveness key (`<prefix>:pr:alive:<node>`, refreshed every heartbeatInterval, expiring after
 * nodeTtl) is gone is dropped by every node on its next beat: at most nodeTtl + heartbeatInterval
 * after its last refresh, with one diff per channel however many members it had.
 */
export class ClusterPresenceSync {
  private readonly logger = new Logger('KwsPresence');
  private readonly prefix: string;
  private readonly interval: number;
  private readonly ttl: number;
  private connections: RedisConnections | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Other nodes with entries in this node's replica. */
  private readonly known = new Set<string>();
  private started = false;
  /** A write failed (Redis away): the next beat rewrites this node's entries whole. */
  private dirty = false;

  constructor(
    private readonly options: KwsClusterOptions,
    private readonly nodeId: string,
    private readonly replica: PresenceReplica,
    endpoint = '',
  ) {
    // One hash slot for every key (Redis Cluster runs each MULTI below on one shard).
    // Endpoints sharing a keyPrefix share nothing of their presence.
    const prefix = options.keyPrefix ?? DEFAULT_CLUSTER_KEY_PREFIX;
    this.prefix = endpoint ? `{${prefix}:pr:${endpoint}}` : `{${prefix}:pr}`;
    this.interval = options.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL;
    this.ttl = options.nodeTtl ?? DEFAULT_NODE_TTL;
  }

  /**
   * Opens the connections and shares presence once Redis answers; waits for that at most
   * requestTimeout (a node may start while Redis is down: it shares its presence when it is back,
   * and loads the others' again after every reconnect).
   */
  async start(): Promise<void> {
    const timeout = this.options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT;
    const connections = await createRedisConnections(this.options, timeout);
    this.connections = connections;
    const { commands, subscriber, sharded } = connections;
    // Failures show in the commands' rejections (and one warning per outage), not as ioredis noise.
    commands.on('error', () => undefined);
    subscriber.on('error', () => undefined);
    subscriber.on(
      sharded ? 'smessageBuffer' : 'messageBuffer',
      (_channel: Buffer, message: Buffer) => this.receive(message),
    );
    let first: () => void = () => undefined;
    const firstReady = new Promise<void>((resolve) => (first = resolve));
    subscriber.on('ready', () => {
      this.ready().then(first, (error: unknown) => this.failed(error));
    });
    this.timer = setInterval(
      () => void this.beat().catch((error) => this.failed(error)),
      this.interval,
    );
    this.timer.unref();
    this.started = true;
    await Promise.all([
      commands.connect().catch((error: unknown) => this.failed(error)),
      subscriber.connect().catch((error: unknown) => this.failed(error)),
    ]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      firstReady,
      new Promise((resolve) => (timer = setTimeout(resolve, timeout))),
    ]);
    clearTimeout(timer);
  }

  /** (Re)subscribed: this node's liveness, then the others' entries (a replay is a no-op). */
  private async ready(): Promise<void> {
    const { commands, subscriber, sharded } = this.connections!;
    // Redis Cluster: a burst of first calls to a master still opening would be refused.
    await openEveryMaster(this.connections!).catch(() => undefined);
    if (sharded) {
      await (subscriber as unknown as { ssubscribe(c: string): Promise<unknown> }).ssubscribe(
        this.prefix,
      );
    } else {
      await subscriber.subscribe(this.prefix);
    }
    await this.beat();
    // Subscribed first, then the snapshot: a change published meanwhile arrives twice at most.
    const nodes = await commands.smembers(`${this.prefix}:nodes`);
    for (const node of nodes) {
      if (node === this.nodeId) continue;
      if ((await commands.exists(this.alive(node))) === 0) {
        await this.forget(commands, node);
        continue;
      }
      const entries = await commands.hgetall(this.hash(node));
      this.known.add(node);
      this.replica.replaceNode(
        node,
        Object.values(entries).map((json) => JSON.parse(json) as KwsPresenceRecord),
      );
    }
  }

  /** Sends this node's batch of one channel to the others and records it in this node's hash. */
  publish(change: Omit<PresenceChange, 'n'>): void {
    const commands = this.connections?.commands;
    if (!commands || !this.started) {
      // Not sharing yet (or any more): the first beat writes this node's entries whole.
      this.dirty = true;
      return;
    }
    const message: PresenceChange = { n: this.nodeId, ...change };
    const multi = commands.multi();
    for (const [key, meta, uuid] of change.j) {
      multi.hset(this.hash(this.nodeId), meta.kws_ref, JSON.stringify([change.c, key, meta, uuid]));
    }
    if (change.l.length) multi.hdel(this.hash(this.nodeId), ...change.l.map(([, ref]) => ref));
    if (this.connections!.sharded) {
      (multi as unknown as { spublish(c: string, m: string): unknown }).spublish(
        this.prefix,
        JSON.stringify(message),
      );
    } else {
      multi.publish(this.prefix, JSON.stringify(message));
    }
    multi.exec().then(
      (results) => {
        if (results?.some(([error]) => error)) this.failed(results.find(([error]) => error)![0]);
      },
      (error: unknown) => this.failed(error),
    );
  }

  /** A session moved here: its entries are this node's now (the others change no diff). */
  publishMove(records: KwsPresenceRecord[]): void {
    const commands = this.connections?.commands;
    if (!commands || !this.started || records.length === 0) {
      this.dirty = true;
      return;
    }
    const multi = commands.multi();
    for (const record of records)
      multi.hset(this.hash(this.nodeId), record[2].kws_ref, JSON.stringify(record));
    this.publishIn(multi, JSON.stringify({ n: this.nodeId, moved: records }));
    multi.exec().catch((error: unknown) => this.failed(error));
  }

  private publishIn(multi: ReturnType<Redis['multi']>, message: string): void {
    if (this.connections!.sharded) {
      (multi as unknown as { spublish(c: string, m: string): unknown }).spublish(
        this.prefix,
        message,
      );
    } else {
      multi.publish(this.prefix, message);
    }
  }

  /** This node leaves: its entries go now (the others drop it on the goodbye). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.started = false;
    const connections = this.connections;
    if (!connections) return;
    try {
      await this.forget(connections.commands, this.nodeId);
      const bye = JSON.stringify({ n: this.nodeId, bye: 1 });
      if (connections.sharded) {
        await (
          connections.commands as unknown as { spublish(c: string, m: string): Promise<unknown> }
        ).spublish(this.prefix, bye);
      } else {
        await connections.commands.publish(this.prefix, bye);
      }
    } catch {
      // Redis away: the liveness key expires and the others drop this node then.
    }
    connections.subscriber.disconnect();
    connections.commands.disconnect();
  }

  private receive(buffer: Buffer): void {
    let message: PresenceChange & {
      bye?: number;
      full?: KwsPresenceRecord[];
      moved?: KwsPresenceRecord[];
    };
    try {
      message = JSON.parse(buffer.toString()) as typeof message;
    } catch {
      return;
    }
    if (message.n === this.nodeId) return;
    if (message.bye) {
      this.known.delete(message.n);
      this.replica.replaceNode(message.n, []);
      return;
    }
    if (message.moved) {
      this.known.add(message.n);
      const mine = this.replica.movedTo(message.n, message.moved);
      if (mine.length > 0) {
        this.connections?.commands
          .hdel(this.hash(this.nodeId), ...mine)
          .catch((e: unknown) => this.failed(e));
      }
      return;
    }
    if (message.full) {
      this.known.add(message.n);
      this.replica.replaceNode(message.n, message.full);
      return;
    }
    this.apply(message);
  }

  private apply(change: PresenceChange): void {
    this.known.add(change.n);
    this.replica.apply(change);
  }

  private async beat(): Promise<void> {
    const commands = this.connections!.commands;
    const results = await commands
      .multi()
      .set(this.alive(this.nodeId), '1', 'PX', this.ttl, 'GET')
      .sadd(`${this.prefix}:nodes`, this.nodeId)
      .exec();
    // No liveness key left (this node was silent past nodeTtl: the others dropped it), or a write
    // failed: rewrite this node's entries whole and tell the others to take them as they are.
    const wasDropped = this.started && results?.[0]?.[1] === null;
    if (wasDropped || this.dirty) await this.resync(commands);
    if (this.known.size === 0) return;
    const nodes = Array.from(this.known);
    const pipeline = commands.pipeline();
    for (const node of nodes) pipeline.exists(this.alive(node));
    const exists = (await pipeline.exec()) ?? [];
    for (const [i, node] of nodes.entries()) {
      const [error, alive] = exists[i] ?? [];
      if (error || alive !== 0) continue;
      this.known.delete(node);
      this.replica.replaceNode(node, []);
      // Every node may try; the first one wins, the others delete nothing.
      await this.forget(commands, node).catch(() => undefined);
    }
  }

  private async resync(commands: Redis): Promise<void> {
    const entries = this.replica.localEntries();
    const multi = commands.multi().del(this.hash(this.nodeId));
    for (const entry of entries)
      multi.hset(this.hash(this.nodeId), entry[2].kws_ref, JSON.stringify(entry));
    const message = JSON.stringify({ n: this.nodeId, full: entries });
    if (this.connections!.sharded) {
      (multi as unknown as { spublish(c: string, m: string): unknown }).spublish(
        this.prefix,
        message,
      );
    } else {
      multi.publish(this.prefix, message);
    }
    await multi.exec();
    this.dirty = false;
  }

  private async forget(commands: Redis, node: string): Promise<void> {
    await commands
      .multi()
      .del(this.hash(node), this.alive(node))
      .srem(`${this.prefix}:nodes`, node)
      .exec();
  }

  private hash(node: string): string {
    return `${this.prefix}:${node}`;
  }

  private alive(node: string): string {
    return `${this.prefix}:alive:${node}`;
  }

  private failed(error: unknown): void {
    // Logged once per outage, not once per beat.
    if (!this.dirty) {
      this.logger.warn(
        PRESENCE_SYNC_FAILED(error instanceof Error ? error.message : String(error)),
      );
    }
    this.dirty = true;
  }
}
