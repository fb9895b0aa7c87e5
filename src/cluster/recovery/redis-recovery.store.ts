import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { KwsState, type Kws } from '../../connection/kws.js';
import { KwsOutbound } from '../../connection/outbound.message.js';
import type { KwsParser } from '../../events/kws-packet.interface.js';
import type { KwsMovedSession, KwsRecoveryStore } from '../../recovery/recovery-store.interface.js';
import type { KwsSessionRecovery } from '../../recovery/session.recovery.js';
import type { KwsConnectionPool } from '../../server/connection.pool.js';
import type { ConnectionDirectory } from '../connection.directory.js';
import { InFlightCommands } from '../in-flight.commands.js';
import {
  DEFAULT_CLUSTER_KEY_PREFIX,
  DEFAULT_HEARTBEAT_INTERVAL,
  type KwsClusterOptions,
} from '../kws-cluster-options.interface.js';
import {
  createRedisConnections,
  isCluster,
  type RedisConnections,
  connectWithin,
} from '../redis.connections.js';
import * as scripts from './recovery.scripts.js';
import { snapshotAttributes } from './session.snapshot.js';
import type { KwsDispatchOutcome } from '../../events/event.dispatcher.js';
import {
  OUTCOME_NOT_KEPT,
  rememberedRequests,
  settleAway,
  type KwsRememberedRequest,
} from '../../recovery/request.dedupe.js';
import {
  decodeOutcome,
  encodeOutcome,
  REQUEST_OUTCOME_BYTES,
  requestsSnapshot,
  restoredRequests,
} from '../../recovery/request.outcomes.js';

/** Entries the log keeps at least (XADD MAXLEN ~): enough for `maxMessages` of a busy cluster. */
const MIN_LOG_LENGTH = 10_000;
/** Entries per blocking read. */
const READ_COUNT = 500;

type Fields = Map<string, Buffer>;
type Run = (...args: unknown[]) => Promise<unknown>;
type Entry = [id: string, fields: Fields];

/**
 * Connection-state recovery in cluster mode. Every recoverable message goes into one Redis stream
 * (one XADD per broadcast, instead of the pub/sub publish) and every node delivers from that
 * stream, in its order: the stream id is the packet's offset, the same for every recipient on
 * every node. Session snapshots live in Redis too, so a client can resume on any node, also after
 * the node that held its session was killed.
 *
 * On Redis Cluster every recovery key is under one hash tag of its own (`{prefix:rs}`): the log
 * stays one total order and each recovery script runs on one slot. What crosses into the
 * directory (which uuids have a live holder, where a taken session's uuid now lives) is then a
 * separate step in the uuid's directory shard; `take` says what happens between the two.
 */
export class RedisRecoveryStore implements KwsRecoveryStore {
  private readonly logger = new Logger('KwsRecovery');
  private readonly prefix: string;
  /** Prefix of every recovery key: `p:rs`, or `{p:rs}` on Redis Cluster (one slot). */
  private readonly keys: string;
  /** Redis Cluster: the directory is sharded, so directory steps are separate calls. */
  private readonly split: boolean;
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
  /** Takes between their start and `holds` (the liveness read). */
  private asking = 0;
  private held: Entry[] = [];
  /** Redis Cluster: settles once the latest send's XADD was issued (see `inOrder`). */
  private lastIssued: Promise<void> = Promise.resolve();
  /**
   * The log writes not answered yet: one whose connection dropped may have run (delivered), so it
   * fails as outcome unknown, not as Redis unreachable (see `InFlightCommands`).
   */
  private readonly inFlight = new InFlightCommands();

  constructor(
    private readonly pool: KwsConnectionPool,
    private readonly cluster: KwsClusterOptions,
    private readonly nodeId: string,
    private readonly recovery: KwsSessionRecovery,
    private readonly parser: KwsParser,
    /** The node's directory, once its membership started (for the uuid's shard). */
    private readonly directory: () => ConnectionDirectory | undefined,
  ) {
    this.prefix = cluster.keyPrefix ?? DEFAULT_CLUSTER_KEY_PREFIX;
    this.split = isCluster(cluster.redis);
    this.keys = this.split ? `{${this.prefix}:rs}` : `${this.prefix}:rs`;
    this.log = `${this.keys}:log`;
    this.maxLength = Math.max(MIN_LOG_LENGTH, recovery.maxMessages * 10);
    this.refreshEvery = Math.max(1_000, Math.floor(recovery.maxDisconnection / 2));
  }

  /** How long a suspended session waits for its client (the parked rooms' lifetime too). */
  get maxDisconnection(): number {
    return this.recovery.maxDisconnection;
  }

  async start(requestTimeout: number): Promise<void> {
    // Redis Cluster: a command refused with CLUSTERDOWN (its master died) fails at once instead
    // of being sent again after the failover, where it would land after sends made since: the
    // log's order is the delivery order. (One whose connection closed is never re-sent anyway.)
    const connections = await createRedisConnections(this.cluster, requestTimeout, {
      retryDelayOnClusterDown: 0,
    });
    this.connections = connections;
    const { commands, subscriber } = connections;
    commands.on('error', () => undefined);
    commands.on('close', () => this.inFlight.connectionLost());
    subscriber.on('error', () => undefined);
    // No numberOfKeys: each call passes its own (SAVE and TAKE declare more keys in some cases).
    for (const [name, lua] of [
      ['kwsRsSave', scripts.SAVE],
      ['kwsRsLogTo', scripts.LOG_TO],
      ['kwsRsUnknown', scripts.UNKNOWN],
      ['kwsRsTake', scripts.TAKE],
      ['kwsRsMove', scripts.MOVE],
    ] as const) {
      commands.defineCommand(name, { lua });
    }
    // Redis away at boot: the app starts anyway; the log is read from when Redis answers.
    await connectWithin(connections, requestTimeout);
    await this.begin(commands, subscriber);
    this.refresher = setInterval(() => void this.refresh(), this.refreshEvery);
    this.refresher.unref();
  }

  /** Live delivery starts after what is already in the log: its end is read once Redis answers. */
  private async begin(commands: Redis, subscriber: Redis): Promise<void> {
    try {
      const last = (await commands.xrevrange(this.log, '+', '-', 'COUNT', 1))[0];
      if (this.stopped || this.reading) return;
      if (last) this.lastId = last[0];
      this.reading = this.read(subscriber);
    } catch {
      if (this.stopped) return;
      const retry = (): void => void this.begin(commands, subscriber);
      if (commands.status !== 'ready') commands.once('ready', retry);
      else setTimeout(retry, 200).unref();
    }
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
    await this.inOrder(undefined, () =>
      this.append(message, 'k', 'b', 'r', room ?? '', 'x', except ?? ''),
    );
    return [];
  }

  /**
   * Messages to uuids; resolves with the uuids no live node holds. One script on a standalone
   * Redis. On Redis Cluster the directory shards are asked first (one call per shard, in
   * parallel), then one XADD logs it to the others: a uuid that ends or moves in between is
   * handled as if it did so just after the XADD (delivery reads the log, not the directory).
   */
  async emitToList(uuids: readonly string[], message: KwsOutbound): Promise<string[]> {
    if (!this.split) {
      const keys = [this.log, `${this.prefix}:dir`];
      const args = [this.prefix, this.maxLength, message.data, binaryFlag(message)];
      return (await this.inFlight.track(
        this.run('kwsRsLogTo', keys, ...args, ...uuids),
      )) as string[];
    }
    const groups = new Map<string, string[]>();
    for (const uuid of uuids) {
      const shard = this.directoryPrefix(uuid);
      const group = groups.get(shard);
      if (group) group.push(uuid);
      else groups.set(shard, [uuid]);
    }
    const lookup = Promise.all(
      Array.from(groups, ([shard, own]) =>
        this.run('kwsRsUnknown', [`${shard}:dir`], shard, ...own),
      ),
    ).then((answers) => new Set((answers as string[][]).flat()));
    const unknown = await this.inOrder(lookup, async (unknown) => {
      const known = uuids.filter((uuid) => !unknown.has(uuid));
      if (known.length > 0) await this.append(message, 'k', 't', 'u', JSON.stringify(known));
      return unknown;
    });
    return uuids.filter((uuid) => unknown.has(uuid));
  }

  /** One XADD of a message to the log, with the fields that say who it is for. */
  private append(message: KwsOutbound, ...fields: string[]): Promise<unknown> {
    const xadd = this.commands().xadd(
      this.log,
      'MAXLEN',
      '~',
      this.maxLength,
      '*',
      ...fields,
      'd',
      message.data,
      'bin',
      binaryFlag(message),
    );
    return this.inFlight.track(xadd);
  }

  /**
   * Runs `append` (which issues one XADD at once) once `prepared` settled and every earlier send's
   * XADD was issued: on Redis Cluster an emitTo asks the directory first, and a broadcast called
   * after it must not overtake it in the log (one connection runs commands in the order they are
   * issued). With no lookup in flight this waits for no round trip. A standalone Redis needs none
   * of it: each send is one command.
   */
  private inOrder<P, T>(prepared: Promise<P> | undefined, append: (value: P) => Promise<T>) {
    if (!this.split) return prepared ? prepared.then(append) : append(undefined as P);
    const previous = this.lastIssued;
    let issued!: () => void;
    this.lastIssued = new Promise((resolve) => (issued = resolve));
    return Promise.all([prepared, previous]).then(
      ([value]) => {
        try {
          return append(value as P);
        } finally {
          issued();
        }
      },
      (error: unknown) => {
        issued();
        throw error;
      },
    );
  }

  saved(kws: Kws, previous?: string): void {
    if (previous === undefined) {
      this.dirty.add(kws);
      if (this.dirty.size === 1) setImmediate(() => this.flush());
      return;
    }
    this.save(kws, previous, this.recovery.maxDisconnection + this.refreshEvery);
  }

  suspended(kws: Kws): Promise<unknown> {
    this.dirty.delete(kws);
    // The rid window goes with it: moves happen from here (a retry runs once on any node).
    const requests = requestsSnapshot(rememberedRequests(kws), this.parser, this.nodeId);
    return this.save(kws, '', this.recovery.maxDisconnection, true, requests);
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

  async uuidOf(token: string): Promise<string | undefined> {
    if (!this.connections) return undefined;
    try {
      return (await this.commands().hget(this.tokenKey(token), 'u')) ?? undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Takes a session by token (one script: the snapshot, a "moved" entry in the log and, on a
   * standalone Redis, the directory entry), then reads what the client missed from the log. Live
   * delivery on this node waits meanwhile, so the replay and the live entries meet without a gap
   * or a repeat.
   *
   * On Redis Cluster the directory entry moves in a second step, in the uuid's shard (`MOVE`).
   * Between the two steps the entry still names the old node (it does not release a session it
   * lets go), so the uuid never reads as unknown. If the second step fails (Redis away, this node
   * dies), the old node's own `MOVE` when it reads the "moved" entry does it; if that node is
   * dead too, the entry names a dead node and this node's re-sync (`register`) claims it. If
   * another connection claimed the uuid meanwhile (its holder had died), the session is not
   * adopted: the client gets a fresh one.
   */
  taking(): number {
    return this.asking + this.holds;
  }

  async take(token: string, offset: string): Promise<KwsMovedSession | 'in-use' | undefined> {
    // A token alone does not take a session another live node still holds on an open socket.
    this.asking++;
    try {
      if (await this.heldLive(token)) return 'in-use';
    } finally {
      this.asking--;
    }
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
      const taken = await this.run(
        'kwsRsTake',
        this.split
          ? [this.tokenKey(token), this.log]
          : [
              this.tokenKey(token),
              this.log,
              `${this.prefix}:dir`,
              `${this.prefix}:conns:${this.nodeId}`,
            ],
        this.keys,
        token,
        this.nodeId,
        this.maxLength,
        offset,
        this.split ? '' : this.prefix,
      );
      if (!Array.isArray(taken)) {
        release();
        return undefined;
      }
      const [uuid, attributes, rooms, started, , from, window] = taken as string[];
      // Another connection of this node holds the uuid (it claimed it after the holder died):
      // the directory cannot tell it from this session, the pool can.
      if (this.pool.has(uuid) || (this.split && !(await this.moveHere(uuid, from)))) {
        release();
        return undefined;
      }
      const entries = await this.range(offset || `${started}-0`);
      const joined = new Set(JSON.parse(rooms) as string[]);
      const replay: KwsOutbound[] = [];
      const requests = restoredRequests(window ?? '', this.parser);
      let last = offset;
      for (const [id, fields] of entries) {
        last = id;
        // A request its former node was running, answered since: the retry gets that answer.
        if (fields.get('k')?.toString() === 'q') this.settleRestored(requests, uuid, fields);
        if (id === offset || !isFor(fields, uuid, joined)) continue;
        const message = this.frame(id, fields);
        if (message) replay.push(message);
      }
      return {
        uuid,
        attributes: JSON.parse(attributes) as Record<string, unknown>,
        rooms: Array.from(joined),
        replay,
        requests,
        adopted: (kws) => {
          if (last) kws.session!.skipUpTo = last;
          release();
        },
        abandoned: release,
      };
    } catch (error) {
      release();
      throw error;
    }
  }

  /**
   * Whether the session of a token is held by another node that is alive, on a socket it has not
   * seen drop (its snapshot is not marked suspended). Read before TAKE, one round trip apart: a
   * drop in between makes the client's retry succeed.
   */
  private async heldLive(token: string): Promise<boolean> {
    const [uuid, suspended, node] = await this.commands().hmget(
      this.tokenKey(token),
      'u',
      'z',
      'n',
    );
    if (!uuid || suspended === '1' || !node || node === this.nodeId) return false;
    const alive = await this.commands().exists(`${this.directoryPrefix(uuid)}:alive:${node}`);
    return alive === 1;
  }

  /**
   * Redis Cluster: the taken session's uuid moves to this node in its directory shard. False when
   * another connection holds it; a failed call is not fatal (see `take`).
   */
  private async moveHere(uuid: string, from: string): Promise<boolean> {
    const shard = this.directoryPrefix(uuid);
    try {
      const keys = [`${shard}:dir`, `${shard}:conns:${this.nodeId}`];
      return (await this.run('kwsRsMove', keys, shard, uuid, this.nodeId, from)) === 1;
    } catch (error) {
      this.logger.warn(`Moving ${uuid} in the directory failed (the old node will): ${error}`);
      return true;
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

  /**
   * A request settled after its session left this node's sockets (suspended, handed over, moved):
   * its answer goes into the log (k=q), for the node the session resumes on, and for a take that
   * reads the log after it. An answer over REQUEST_OUTCOME_BYTES goes without it (a 409 there).
   */
  settledAway(kws: Kws, rid: number, outcome: KwsDispatchOutcome): void {
    if (this.stopped || !this.connections) return;
    const frame = encodeOutcome(this.parser, outcome);
    const fields: Array<string | Buffer> = [
      'k',
      'q',
      'u',
      kws.uuid,
      'n',
      this.nodeId,
      'i',
      `${rid}`,
    ];
    if (frame.data.length <= REQUEST_OUTCOME_BYTES) {
      fields.push('d', frame.data, 'bin', frame.binary ? '1' : '');
    }
    this.commands()
      .xadd(this.log, 'MAXLEN', '~', this.maxLength, '*', ...fields)
      .catch(() => undefined);
  }

  /** Polls the liveness of `node` (each heartbeat interval) until it is gone or `done()`. */
  async runnerGone(uuid: string, node: string, done: () => boolean): Promise<void> {
    const every = this.cluster.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL;
    const deadline = performance.now() + this.recovery.maxDisconnection;
    while (!done() && !this.stopped && performance.now() < deadline) {
      try {
        const key = `${this.directoryPrefix(uuid)}:alive:${node}`;
        if ((await this.commands().exists(key)) === 0) return;
      } catch {
        // Redis away: ask again at the next interval.
      }
      await new Promise((resolve) => setTimeout(resolve, every).unref());
    }
  }

  /** The outcome of a k=q entry, for the session `uuid` if it had that request as running. */
  private lateOutcome(fields: Fields): { node: string; rid: number; outcome: KwsDispatchOutcome } {
    const data = fields.get('d');
    return {
      node: fields.get('n')?.toString() ?? '',
      rid: Number(fields.get('i')?.toString()),
      outcome: data
        ? decodeOutcome(this.parser, data, fields.get('bin')?.toString() === '1')
        : OUTCOME_NOT_KEPT,
    };
  }

  /** A k=q entry read while taking a session: its restored window gets the answer. */
  private settleRestored(requests: KwsRememberedRequest[], uuid: string, fields: Fields): void {
    if (fields.get('u')?.toString() !== uuid) return;
    const { node, rid, outcome } = this.lateOutcome(fields);
    const request = requests.find((r) => r.rid === rid && !r.settled && r.runner === node);
    if (request) Object.assign(request, { settled: outcome, runner: undefined });
  }

  /** One log entry, delivered to this node's connections (framed once for all of them). */
  private deliver([id, fields]: Entry): void {
    const kind = fields.get('k')?.toString();
    if (kind === 'q') {
      const kws = this.pool.get(fields.get('u')!.toString());
      if (!kws) return;
      const { node, rid, outcome } = this.lateOutcome(fields);
      settleAway(kws, node, rid, outcome);
      return;
    }
    if (kind === 'x') {
      // The session moved to another node: its connection here (if any) leaves quietly.
      const node = fields.get('n')!.toString();
      if (node === this.nodeId) return;
      // Only the node that held the session: elsewhere the uuid may be another connection's now.
      const from = fields.get('f')?.toString();
      if (from && from !== this.nodeId) return;
      const uuid = fields.get('u')!.toString();
      const kws = this.pool.get(uuid);
      if (!kws?.session) return;
      this.recovery.moved(kws);
      if (this.split) {
        // The directory entry follows, in case the taker's own move did not happen (see `take`).
        const shard = this.directoryPrefix(uuid);
        const keys = [`${shard}:dir`, `${shard}:conns:${node}`];
        this.run('kwsRsMove', keys, shard, uuid, node, this.nodeId).catch(() => undefined);
      }
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
    for (const kws of dirty)
      if (kws.session && kws.state !== KwsState.Suspended) this.save(kws, '', ttl);
  }

  private save(
    kws: Kws,
    previous: string,
    ttl: number,
    suspended = false,
    requests = '',
  ): Promise<unknown> {
    const session = kws.session;
    if (!session || !this.connections) return Promise.resolve();
    return this.run(
      'kwsRsSave',
      previous
        ? [this.tokenKey(session.token), this.tokenKey(previous)]
        : [this.tokenKey(session.token)],
      this.keys,
      session.token,
      previous,
      kws.uuid,
      JSON.stringify(snapshotAttributes(kws.attributesSnapshot())),
      JSON.stringify(kws.rooms()),
      ttl,
      this.nodeId,
      suspended ? '1' : '',
      requests,
    ).catch(() => undefined);
  }

  /** Keeps the snapshots of this node's live sessions from expiring (a dead node stops this). */
  private async refresh(): Promise<void> {
    const ttl = this.recovery.maxDisconnection + this.refreshEvery;
    const pipeline = this.commands().pipeline();
    let count = 0;
    for (const kws of this.pool.values()) {
      const session = kws.session;
      if (!session || kws.state === KwsState.Suspended) continue;
      pipeline.pexpire(this.tokenKey(session.token), ttl);
      count++;
    }
    if (count > 0) await pipeline.exec().catch(() => undefined);
  }

  private tokenKey(token: string): string {
    return `${this.keys}:tok:${token}`;
  }

  /** The prefix of a uuid's directory shard: `{p:<shard>}` on Redis Cluster, `p` otherwise. */
  private directoryPrefix(uuid: string): string {
    if (!this.split) return this.prefix;
    const directory = this.directory();
    if (!directory) throw new Error('The cluster directory is not started');
    return directory.shardPrefix(uuid);
  }

  /** One of the scripts defined in `start`: the keys it declares, then ARGV. */
  private run(script: string, keys: readonly string[], ...args: unknown[]): Promise<unknown> {
    const commands = this.commands();
    const command = (commands as unknown as Record<string, Run>)[script];
    return command.call(commands, keys.length, ...keys, ...args);
  }

  private commands(): Redis {
    return this.connections!.commands;
  }
}

function binaryFlag(message: KwsOutbound): string {
  return message.binary ? '1' : '';
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
