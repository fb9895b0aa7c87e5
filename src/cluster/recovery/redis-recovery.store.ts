import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Kws } from '../../connection/kws.js';
import { KwsOutbound } from '../../connection/outbound.message.js';
import { KwsInvalidConnectionError } from '../../errors/kws-invalid-connection.error.js';
import type { KwsParser } from '../../events/kws-packet.interface.js';
import type { KwsMovedSession, KwsRecoveryStore } from '../../recovery/recovery-store.interface.js';
import type { KwsSessionRecovery } from '../../recovery/session.recovery.js';
import type { KwsConnectionPool } from '../../server/connection.pool.js';
import {
  DEFAULT_CLUSTER_KEY_PREFIX,
  type KwsClusterOptions,
} from '../kws-cluster-options.interface.js';
import { createRedisConnections, type RedisConnections } from '../redis.connections.js';
import * as scripts from './recovery.scripts.js';
import { snapshotAttributes } from './session.snapshot.js';

/** Entries the log keeps at least (XADD MAXLEN ~): enough for `maxMessages` of a busy cluster. */
const MIN_LOG_LENGTH = 10_000;
/** Entries per blocking read. */
const READ_COUNT = 500;

type Fields = Map<string, Buffer>;
type Entry = [id: string, fields: Fields];

/**
 * Connection-state recovery in cluster mode. Every recoverable message goes into one Redis stream
 * (one XADD per broadcast, instead of the pub/sub publish) and every node delivers from that
 * stream, in its order: the stream id is the packet's offset, the same for every recipient on
 * every node. Session snapshots live in Redis too, so a client can resume on any node, also after
 * the node that held its session was killed.
 */
export class RedisRecoveryStore implements KwsRecoveryStore {
  private readonly logger = new Logger('KwsRecovery');
  private readonly prefix: string;
  private readonly log: string;
  private readonly maxLength: number;
  private readonly refreshEvery: number;
  private connections: RedisConnections | undefined;
  private lastId = '0-0';
  private stopped = false;
  private reading: Promise<void> | undefined;
  private refresher: NodeJS.Timeout | undefined;
  /** Sessions whose snapshot changed, saved once at the end of the turn. */
  private readonly dirty = new Set<Kws>();
  /** While a moved session is being adopted, live entries wait here (see `take`). */
  private holds = 0;
  private held: Entry[] = [];

  constructor(
    private readonly pool: KwsConnectionPool,
    private readonly cluster: KwsClusterOptions,
    private readonly nodeId: string,
    private readonly recovery: KwsSessionRecovery,
    private readonly parser: KwsParser,
  ) {
    this.prefix = cluster.keyPrefix ?? DEFAULT_CLUSTER_KEY_PREFIX;
    this.log = `${this.prefix}:rs:log`;
    this.maxLength = Math.max(MIN_LOG_LENGTH, recovery.maxMessages * 10);
    this.refreshEvery = Math.max(1_000, Math.floor(recovery.maxDisconnection / 2));
  }

  async start(requestTimeout: number): Promise<void> {
    const connections = await createRedisConnections(this.cluster, requestTimeout);
    this.connections = connections;
    const { commands, subscriber } = connections;
    commands.on('error', () => undefined);
    subscriber.on('error', () => undefined);
    for (const [name, lua] of Object.entries({
      kwsRsSave: scripts.SAVE,
      kwsRsLogTo: scripts.LOG_TO,
      kwsRsTake: scripts.TAKE,
    })) {
      commands.defineCommand(name, { numberOfKeys: 0, lua });
    }
    await Promise.all([commands.connect(), subscriber.connect()]);
    // Live delivery starts after what is already in the log.
    const last = (await commands.xrevrange(this.log, '+', '-', 'COUNT', 1))[0];
    if (last) this.lastId = last[0];
    this.reading = this.read(subscriber);
    this.refresher = setInterval(() => void this.refresh(), this.refreshEvery);
    this.refresher.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.refresher);
    this.connections?.subscriber.disconnect();
    await this.reading?.catch(() => undefined);
    this.connections?.commands.disconnect();
  }

  /** A broadcast (to `room`, but `except`): one XADD; every node delivers it from the log. */
  async broadcast(message: KwsOutbound, except?: string, room?: string): Promise<string[]> {
    await this.commands().xadd(
      this.log,
      'MAXLEN',
      '~',
      this.maxLength,
      '*',
      'k',
      'b',
      'r',
      room ?? '',
      'x',
      except ?? '',
      'd',
      message.data,
      'bin',
      message.binary ? '1' : '',
    );
    return [];
  }

  /** Messages to uuids: one script; resolves with the uuids no live node holds. */
  async emitToList(uuids: readonly string[], message: KwsOutbound): Promise<string[]> {
    const run = (
      this.commands() as unknown as Record<string, (...a: unknown[]) => Promise<string[]>>
    ).kwsRsLogTo;
    return run.call(
      this.commands(),
      this.prefix,
      this.maxLength,
      message.data,
      message.binary ? '1' : '',
      ...uuids,
    );
  }

  async emitTo(uuid: string, message: KwsOutbound): Promise<void> {
    const unknown = await this.emitToList([uuid], message);
    if (unknown.length > 0) throw new KwsInvalidConnectionError(uuid);
  }

  saved(kws: Kws, previous?: string): void {
    if (previous === undefined) {
      this.dirty.add(kws);
      if (this.dirty.size === 1) setImmediate(() => this.flush());
      return;
    }
    this.save(kws, previous, this.recovery.maxDisconnection + this.refreshEvery);
  }

  suspended(kws: Kws): void {
    this.dirty.delete(kws);
    this.save(kws, '', this.recovery.maxDisconnection);
  }

  ended(kws: Kws): void {
    this.dirty.delete(kws);
    const token = kws.session?.token;
    if (token && this.connections) {
      this.commands()
        .del(this.tokenKey(token))
        .catch(() => undefined);
    }
  }

  /**
   * Takes a session by token (one script: the snapshot, the directory entry, a "moved" entry in
   * the log), then reads what the client missed from the log. Live delivery on this node waits
   * meanwhile, so the replay and the live entries meet without a gap or a repeat.
   */
  async take(token: string, offset: string): Promise<KwsMovedSession | undefined> {
    const run = (
      this.commands() as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
    ).kwsRsTake;
    this.holds++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      if (--this.holds === 0) {
        const held = this.held;
        this.held = [];
        for (const entry of held) this.deliver(entry);
      }
    };
    try {
      const taken = await run.call(
        this.commands(),
        this.prefix,
        token,
        this.nodeId,
        this.maxLength,
        offset,
      );
      if (!Array.isArray(taken)) {
        release();
        return undefined;
      }
      const [uuid, attributes, rooms, started] = taken as string[];
      const entries = await this.range(offset || `${started}-0`);
      const joined = new Set(JSON.parse(rooms) as string[]);
      const replay: KwsOutbound[] = [];
      let last = offset;
      for (const [id, fields] of entries) {
        last = id;
        if (id === offset || !isFor(fields, uuid, joined)) continue;
        const message = this.frame(id, fields);
        if (message) replay.push(message);
      }
      return {
        uuid,
        attributes: JSON.parse(attributes) as Record<string, unknown>,
        rooms: Array.from(joined),
        replay,
        adopted: (kws) => {
          if (last) kws.session!.skipUpTo = last;
          release();
        },
      };
    } catch (error) {
      release();
      throw error;
    }
  }

  private async range(from: string): Promise<Entry[]> {
    const raw = (await this.commands().xrangeBuffer(this.log, from, '+')) as unknown as Array<
      [Buffer, Buffer[]]
    >;
    return raw.map(toEntry);
  }

  private async read(reader: Redis): Promise<void> {
    while (!this.stopped) {
      try {
        const result = (await reader.xreadBuffer(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          1_000,
          'STREAMS',
          this.log,
          this.lastId,
        )) as unknown as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
        if (!result) continue;
        for (const [, raw] of result) {
          for (const item of raw) {
            const entry = toEntry(item);
            this.lastId = entry[0];
            if (this.holds > 0) this.held.push(entry);
            else this.deliver(entry);
          }
        }
      } catch (error) {
        if (this.stopped) return;
        this.logger.warn(String(error));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /** One log entry, delivered to this node's connections (framed once for all of them). */
  private deliver([id, fields]: Entry): void {
    const kind = fields.get('k')?.toString();
    if (kind === 'x') {
      // The session moved to another node: its connection here (if any) leaves quietly.
      if (fields.get('n')?.toString() === this.nodeId) return;
      const kws = this.pool.get(fields.get('u')!.toString());
      if (kws?.session) this.recovery.moved(kws);
      return;
    }
    const message = this.frame(id, fields);
    if (!message) return;
    if (kind === 'b') {
      const room = fields.get('r')?.toString() || undefined;
      const except = fields.get('x')?.toString() || undefined;
      this.pool.broadcast(message, except, room);
    } else if (kind === 't') {
      for (const uuid of JSON.parse(fields.get('u')!.toString()) as string[]) {
        this.pool.deliver(uuid, message, true);
      }
    }
  }

  /** The packet of an entry with the entry's id as its offset. */
  private frame(id: string, fields: Fields): KwsOutbound | undefined {
    const data = fields.get('d');
    if (!data) return undefined;
    const binary = fields.get('bin')?.toString() === '1';
    const packet = this.parser.decode(data, binary);
    // Not a packet the parser reads back (an object with keys of its own): sent as is, unnumbered.
    if (!packet) return new KwsOutbound(data, binary);
    const encoded = this.parser.encode({ ...packet, offset: id });
    return typeof encoded === 'string'
      ? new KwsOutbound(Buffer.from(encoded), false, id)
      : new KwsOutbound(encoded, true, id);
  }

  private flush(): void {
    const dirty = Array.from(this.dirty);
    this.dirty.clear();
    const ttl = this.recovery.maxDisconnection + this.refreshEvery;
    for (const kws of dirty) if (kws.session && !kws.session.suspended) this.save(kws, '', ttl);
  }

  private save(kws: Kws, previous: string, ttl: number): void {
    const session = kws.session;
    if (!session || !this.connections) return;
    const run = (
      this.commands() as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
    ).kwsRsSave;
    run
      .call(
        this.commands(),
        this.prefix,
        session.token,
        previous,
        kws.uuid,
        JSON.stringify(snapshotAttributes(kws.attributesSnapshot())),
        JSON.stringify(kws.rooms()),
        ttl,
      )
      .catch(() => undefined);
  }

  /** Keeps the snapshots of this node's live sessions from expiring (a dead node stops this). */
  private async refresh(): Promise<void> {
    const ttl = this.recovery.maxDisconnection + this.refreshEvery;
    const pipeline = this.commands().pipeline();
    let count = 0;
    for (const kws of this.pool.values()) {
      const session = kws.session;
      if (!session || session.suspended) continue;
      pipeline.pexpire(this.tokenKey(session.token), ttl);
      count++;
    }
    if (count > 0) await pipeline.exec().catch(() => undefined);
  }

  private tokenKey(token: string): string {
    return `${this.prefix}:rs:tok:${token}`;
  }

  private commands(): Redis {
    return this.connections!.commands;
  }
}

function toEntry([id, flat]: [Buffer, Buffer[]]): Entry {
  const fields: Fields = new Map();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i].toString(), flat[i + 1]);
  return [id.toString(), fields];
}

/** Whether a log entry was meant for this session (its uuid, or a broadcast it was in). */
function isFor(fields: Fields, uuid: string, rooms: ReadonlySet<string>): boolean {
  const kind = fields.get('k')?.toString();
  if (kind === 't') return (JSON.parse(fields.get('u')!.toString()) as string[]).includes(uuid);
  if (kind !== 'b') return false;
  const room = fields.get('r')?.toString();
  return (!room || rooms.has(room)) && fields.get('x')?.toString() !== uuid;
}
