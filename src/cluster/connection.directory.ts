import type { Redis } from 'ioredis';
import * as scripts from './directory.scripts.js';
import { InFlightCommands } from './in-flight.commands.js';

/**
 * uuids per CLAIM_ALL call and per GC_STEP call: small enough that no script call blocks Redis
 * for more than about a millisecond (see docs/cluster.md, "Cost model").
 */
export const CLAIM_BATCH = 200;
export const GC_BATCH = 250;
/**
 * Entries asked of Redis per call when listing rooms or a room's members (`HSCAN`/`SSCAN` COUNT):
 * each call stays about a millisecond however large the room or the room set.
 */
export const SCAN_PAGE = 250;

type Script = keyof typeof SCRIPTS;
const SCRIPTS = {
  kwsJoin: scripts.JOIN,
  kwsClaimAll: scripts.CLAIM_ALL,
  kwsRename: scripts.RENAME,
  kwsRelease: scripts.RELEASE,
  kwsHeartbeat: scripts.HEARTBEAT,
  kwsGcStep: scripts.GC_STEP,
  kwsLeave: scripts.LEAVE,
  kwsRoute: scripts.ROUTE,
  kwsRouteList: scripts.ROUTE_LIST,
  kwsPublishAll: scripts.PUBLISH_ALL,
  kwsCount: scripts.COUNT,
  kwsNodeCounts: scripts.NODE_COUNTS,
  kwsRoomJoin: scripts.ROOM_JOIN,
  kwsRoomLeave: scripts.ROOM_LEAVE,
  kwsRoomAdopt: scripts.ROOM_ADOPT,
  kwsRoomPark: scripts.ROOM_PARK,
  kwsRoomSync: scripts.ROOM_SYNC,
  kwsRoomSize: scripts.ROOM_SIZE,
  kwsRoomMembersPage: scripts.ROOM_MEMBERS_PAGE,
  kwsRoomsPage: scripts.ROOMS_PAGE,
  kwsPublishRoom: scripts.PUBLISH_ROOM,
} as const;

/** Memberships per ROOM_SYNC call (a rejoin re-registers them in bounded batches). */
export const SYNC_BATCH = 100;

/**
 * Directory shards with Redis Cluster: each has its own hash tag, so the directory spreads over
 * the cluster's masters while every script call still touches one slot.
 */
export const REDIS_CLUSTER_SHARDS = 8;

type Member = { uuid: string; room: string };

/**
 * Room memberships removed from the directory, and whether their node was still alive, or whether
 * they were parked (a handed-over session that no node resumed in time, see `roomPark`).
 */
export interface RemovedMembers {
  nodeAlive: boolean;
  parked: boolean;
  members: Array<{ uuid: string; room: string }>;
}

/** What a heartbeat found. */
export type HeartbeatStatus = 'alive' | 'expired' | 'not-listening';

/**
 * Where `route` sent a message: 'unknown' (no node holds the uuid), 'holder-dead' (the node that
 * holds it let its liveness expire), 'not-listening' (alive, not subscribed).
 */
export type RouteResult = 'sent' | 'unknown' | 'holder-dead' | 'not-listening';

/**
 * The cluster-wide directory of connections (uuid -> node) and the liveness of nodes, as seen
 * by one node. A command whose connection drops while it is in flight rejects at once with
 * `KwsOutcomeUnknownError` and is never re-sent (see `InFlightCommands`).
 *
 * With Redis Cluster (`sharded`) the directory is split in `REDIS_CLUSTER_SHARDS` shards, each
 * under its own hash tag `{prefix:i}`: a uuid's entry lives in the shard of its hash, a room in
 * the shard of its name, and a node keeps its liveness, its uuid set and its channel in every
 * shard, so each script call stays atomic on one slot. Pub/sub is then sharded (SPUBLISH /
 * SSUBSCRIBE): a message is handled by the master owning its channel's slot only. On a
 * standalone Redis there is one shard under the plain prefix.
 */
export class ConnectionDirectory {
  private readonly inFlight = new InFlightCommands();
  /** Number of shards (1 on a standalone Redis). */
  readonly shards: number;
  private readonly prefixes: string[];
  /** Where nodes keep their inspector samples: one slot for all, so one pipeline reads them. */
  private readonly samplesPrefix: string;
  /**
   * Settles once the join in flight has run in every shard. A join retires what the node held
   * before, so a change must not run before it, and the order commands are sent in is not always
   * the order they run in (ioredis Cluster re-sends a command after MOVED, ASK, TRYAGAIN or
   * CLUSTERDOWN, and queues it while a master's connection opens): a register, release, rename or
   * room change awaits it first, and those issued meanwhile then go out in their order.
   */
  private joinBarrier: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    readonly node: string,
    private readonly nodeTtl: number,
    readonly sharded = false,
  ) {
    this.shards = sharded ? REDIS_CLUSTER_SHARDS : 1;
    this.prefixes = Array.from({ length: this.shards }, (_, i) =>
      sharded ? `{${prefix}:${i}}` : prefix,
    );
    this.samplesPrefix = sharded ? `{${prefix}:insp}` : `${prefix}:insp`;
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      // No numberOfKeys: each call passes its own (the room scripts declare two keys per room).
      redis.defineCommand(name, { lua: sharded ? shardedScript(lua) : lua });
    }
    redis.on('close', () => this.inFlight.connectionLost());
  }

  /** The shard of a uuid or a room name (the same on every node). */
  shardOf(key: string): number {
    return directoryShard(key, this.shards);
  }

  /** The key prefix of the shard of a uuid or a room name: `{p:<shard>}`, or `p` standalone. */
  shardPrefix(key: string): string {
    return this.prefixes[this.shardOf(key)];
  }

  /** Channel every node listens to (in shard 0). */
  get broadcastChannel(): string {
    return `${this.prefixes[0]}:broadcast`;
  }

  /** Channel of one room, in the room's shard: the nodes holding members of it listen. */
  roomChannel(room: string): string {
    return `${this.prefixes[this.shardOf(room)]}:roomch:${room}`;
  }

  /** Channel of one node in one shard (requests routed in that shard, replies in shard 0). */
  nodeChannel(node: string = this.node, shard = 0): string {
    return `${this.prefixes[shard]}:node:${node}`;
  }

  /** This node's channels, one per shard: it listens to all of them. */
  nodeChannels(): string[] {
    return this.prefixes.map((_, shard) => this.nodeChannel(this.node, shard));
  }

  /**
   * Publishes a room broadcast; resolves with how many nodes got it, how many nodes of the room are
   * alive and, when `countAll`, how many nodes are alive (else -1).
   */
  async publishRoom(
    room: string,
    message: Buffer,
    countAll = false,
  ): Promise<{ receivers: number; live: number; all: number }> {
    const [receivers, live, all] = (await this.run(
      this.shardOf(room),
      'kwsPublishRoom',
      [`roomnodes:${room}`, 'nodes'],
      room,
      this.roomChannel(room),
      message,
      countAll ? '1' : '0',
    )) as [number, number, number];
    return { receivers, live, all };
  }

  /**
   * (Re)joins with the given local uuids and memberships: marks the node alive and retires what it
   * held before in every shard, then claims the uuids and re-registers the memberships. Resolves
   * with the uuids a live node claimed meanwhile and the memberships new to their room. A register,
   * release, rename or room change issued meanwhile waits until it is done (see `joinBarrier`).
   */
  join(
    uuids: readonly string[],
    members: readonly Member[] = [],
  ): Promise<{ taken: string[]; joined: Member[] }> {
    const done = this.sendJoin(uuids, members);
    const barrier: Promise<void> = done.then(
      () => this.liftBarrier(barrier),
      () => this.liftBarrier(barrier),
    );
    this.joinBarrier = barrier;
    return done;
  }

  private async sendJoin(
    uuids: readonly string[],
    members: readonly Member[],
  ): Promise<{ taken: string[]; joined: Member[] }> {
    const sent: Promise<unknown>[] = [];
    for (const [shard, own] of this.byShard(uuids, (uuid) => uuid, true)) {
      const first = own.slice(0, CLAIM_BATCH);
      sent.push(
        this.run(
          shard,
          'kwsJoin',
          this.ownKeys('nodes', 'alive', 'conns', 'members', 'gc', 'gcseq'),
          this.node,
          this.nodeTtl,
          ...first,
        ),
      );
      for (let start = CLAIM_BATCH; start < own.length; start += CLAIM_BATCH) {
        const batch = own.slice(start, start + CLAIM_BATCH);
        sent.push(this.run(shard, 'kwsClaimAll', this.ownKeys('conns'), this.node, ...batch));
      }
    }
    const taken = ((await Promise.all(sent)) as string[][]).flat();
    // After the join: it retires the memberships of before, these included.
    const joined = await this.roomSync(members);
    return { taken, joined };
  }

  /**
   * Refreshes this node's liveness in every shard (only while its subscription is live) and
   * retires dead nodes; `garbage` is how many retired sets wait for `collectGarbage`, `live` how
   * many nodes are alive, `fewest` how many in the shard that counts the fewest (on Redis Cluster
   * a node cut off from one master's shard for a while lapsed there only).
   */
  async heartbeat(): Promise<{
    status: HeartbeatStatus;
    garbage: number;
    live: number;
    fewest: number;
  }> {
    const beats = (await Promise.all(
      this.prefixes.map((_, shard) =>
        this.run(
          shard,
          'kwsHeartbeat',
          this.ownKeys('nodes', 'alive', 'gc', 'gcseq', 'parked'),
          this.node,
          this.nodeTtl,
          this.nodeChannel(this.node, shard),
        ),
      ),
    )) as Array<[number, number, number]>;
    const statuses = beats.map(([status]) => status);
    const state = statuses.includes(-1)
      ? 'not-listening'
      : statuses.includes(0)
        ? 'expired'
        : 'alive';
    const garbage = beats.reduce((sum, [, left]) => sum + left, 0);
    const counts = beats.map(([, , live]) => live);
    return { status: state, garbage, live: Math.max(...counts), fewest: Math.min(...counts) };
  }

  /**
   * Drains retired sets (dead nodes', or this node's from before a rejoin), one bounded batch per
   * call, until none is left in any shard. Several nodes may drain at once; each batch is taken
   * atomically.
   */
  async collectGarbage(removed: (members: RemovedMembers) => void): Promise<void> {
    for (let shard = 0; shard < this.shards; shard++) {
      for (;;) {
        const [left, alive, ...pairs] = (await this.run(
          shard,
          'kwsGcStep',
          ['gc', 'gccursor', 'rooms'],
          GC_BATCH,
        )) as [number, number, ...string[]];
        if (pairs.length > 0) {
          removed({ nodeAlive: alive === 1, parked: alive === 2, members: toPairs(pairs) });
        }
        if (left === 0) break;
      }
    }
  }

  /** The connection joins rooms; resolves with the rooms it is new to. */
  async roomJoin(uuid: string, rooms: readonly string[]): Promise<string[]> {
    return this.roomChange('kwsRoomJoin', uuid, rooms);
  }

  /** The connection leaves rooms; resolves with the rooms it was in. */
  async roomLeave(uuid: string, rooms: readonly string[]): Promise<string[]> {
    return this.roomChange('kwsRoomLeave', uuid, rooms);
  }

  /**
   * A session moved here takes its rooms along: the entries its first node (or that node's parked
   * owner) holds move here quietly. Resolves with the rooms it was absent from (a real join).
   */
  async roomAdopt(uuid: string, rooms: readonly string[]): Promise<string[]> {
    return this.roomChange('kwsRoomAdopt', uuid, rooms);
  }

  /**
   * This node lets a session's memberships go without a leave (handed over, or moved away): they
   * stay listed under its parked owner `~<node>` for `ttl` ms, until the node resuming the session
   * adopts them; the rest then leave (GC, reason 'disconnected').
   */
  async roomPark(uuid: string, rooms: readonly string[], ttl: number): Promise<void> {
    await this.joinBarrier;
    const owner = `~${this.node}`;
    await Promise.all(
      Array.from(
        this.byShard(rooms, (room) => room),
        ([shard, own]) =>
          this.run(
            shard,
            'kwsRoomPark',
            [
              `members:${this.node}`,
              `members:${owner}`,
              `alive:${owner}`,
              'parked',
              ...own.flatMap(roomKeys),
            ],
            this.node,
            ttl,
            uuid,
            ...own,
          ),
      ),
    );
  }

  /** Re-registers memberships, `SYNC_BATCH` per call; resolves with those new to their room. */
  private async roomSync(members: readonly Member[]): Promise<Member[]> {
    const sent: Promise<unknown>[] = [];
    for (const [shard, own] of this.byShard(members, (member) => member.room)) {
      for (let start = 0; start < own.length; start += SYNC_BATCH) {
        const batch = own.slice(start, start + SYNC_BATCH);
        const keys = [
          ...this.ownKeys('members', 'rooms'),
          ...batch.flatMap((m) => roomKeys(m.room)),
        ];
        const pairs = batch.flatMap((m) => [m.uuid, m.room]);
        sent.push(this.run(shard, 'kwsRoomSync', keys, this.node, ...pairs));
      }
    }
    return ((await Promise.all(sent)) as string[][]).flatMap(toPairs);
  }

  async roomSize(room: string): Promise<number> {
    return (await this.run(
      this.shardOf(room),
      'kwsRoomSize',
      [`roomnodes:${room}`],
      room,
    )) as number;
  }

  /** The room's members on live nodes, read `SCAN_PAGE` at a time (see `roomMembersPage`). */
  async roomMembers(room: string): Promise<string[]> {
    const found = new Set<string>();
    let cursor = '0';
    do {
      const page = await this.roomMembersPage(room, cursor);
      for (const uuid of page.items) found.add(uuid);
      cursor = page.cursor;
    } while (cursor !== '0');
    return Array.from(found);
  }

  /**
   * One page of a room's members (about `count`): one bounded script call, so a room of any
   * size never blocks Redis for long. Start with cursor '0'; a returned cursor '0' ends it.
   */
  async roomMembersPage(room: string, cursor: string, count = SCAN_PAGE): Promise<ScanPage> {
    const [next, items] = (await this.run(
      this.shardOf(room),
      'kwsRoomMembersPage',
      [`room:${room}`],
      room,
      cursor,
      count,
    )) as [string, string[]];
    return { cursor: next, items };
  }

  /** Rooms with a member on a live node, read `SCAN_PAGE` at a time per shard. */
  async rooms(): Promise<string[]> {
    const perShard = await Promise.all(
      this.prefixes.map(async (_, shard) => {
        const found = new Set<string>();
        let cursor = '0';
        do {
          const page = await this.roomsPage(shard, cursor);
          for (const room of page.items) found.add(room);
          cursor = page.cursor;
        } while (cursor !== '0');
        return Array.from(found);
      }),
    );
    return perShard.flat();
  }

  /** One page of the rooms of one shard with a member on a live node, as `roomMembersPage`. */
  async roomsPage(shard: number, cursor: string, count = SCAN_PAGE): Promise<ScanPage> {
    const [next, items] = (await this.run(shard, 'kwsRoomsPage', ['rooms'], cursor, count)) as [
      string,
      string[],
    ];
    return { cursor: next, items };
  }

  async leave(): Promise<void> {
    await Promise.all(
      this.prefixes.map((_, shard) =>
        this.run(
          shard,
          'kwsLeave',
          this.ownKeys('nodes', 'alive', 'conns', 'members', 'gc', 'gcseq'),
          this.node,
        ),
      ),
    );
  }

  async register(uuid: string): Promise<void> {
    await this.joinBarrier;
    await this.run(this.shardOf(uuid), 'kwsClaimAll', this.ownKeys('conns'), this.node, uuid);
  }

  async release(uuid: string): Promise<void> {
    await this.joinBarrier;
    await this.run(this.shardOf(uuid), 'kwsRelease', this.ownKeys('conns'), this.node, uuid);
  }

  /**
   * Claims `to` and releases `from`; false when a live node holds `to`. One atomic step when
   * both are in one shard; otherwise the claim, then the release (a failed release leaves a stale
   * entry the next re-sync removes).
   */
  async rename(from: string, to: string): Promise<boolean> {
    await this.joinBarrier;
    const [shardFrom, shardTo] = [this.shardOf(from), this.shardOf(to)];
    if (shardFrom === shardTo) {
      return (
        (await this.run(shardTo, 'kwsRename', this.ownKeys('conns'), this.node, from, to)) === 1
      );
    }
    const taken = (await this.run(
      shardTo,
      'kwsClaimAll',
      this.ownKeys('conns'),
      this.node,
      to,
    )) as string[];
    if (taken.length > 0) return false;
    await this.run(shardFrom, 'kwsRelease', this.ownKeys('conns'), this.node, from);
    return true;
  }

  /** Publishes `message` to the live node holding `uuid`. */
  async route(uuid: string, message: Buffer): Promise<RouteResult> {
    const receivers = (await this.run(this.shardOf(uuid), 'kwsRoute', [], uuid, message)) as number;
    if (receivers > 0) return 'sent';
    if (receivers === 0) return 'not-listening';
    return receivers === -2 ? 'holder-dead' : 'unknown';
  }

  /**
   * Publishes a message once to each live node holding one of `uuids`, per shard: `build` makes
   * the message of the uuids of one shard (a node serves exactly the uuids it is sent). Resolves
   * with the node of each uuid ('' when none) and how many messages went out (replies to expect).
   */
  async routeList(
    uuids: readonly string[],
    build: (uuids: string[]) => Buffer,
  ): Promise<{ owners: Map<string, string>; sent: number }> {
    const groups = Array.from(this.byShard(uuids, (uuid) => uuid));
    const answers = (await Promise.all(
      groups.map(([shard, own]) => this.run(shard, 'kwsRouteList', [], build(own), ...own)),
    )) as string[][];
    const owners = new Map<string, string>();
    let sent = 0;
    answers.forEach((nodes, i) => {
      groups[i][1].forEach((uuid, j) => owners.set(uuid, nodes[j]));
      sent += new Set(nodes.filter(Boolean)).size;
    });
    return { owners, sent };
  }

  /** Publishes to every node; resolves with how many received it and how many are alive. */
  async publishAll(message: Buffer): Promise<{ receivers: number; live: number }> {
    const [receivers, live] = (await this.run(
      0,
      'kwsPublishAll',
      ['nodes'],
      this.broadcastChannel,
      message,
    )) as [number, number];
    return { receivers, live };
  }

  /** Connections on live nodes: every shard's count, summed. */
  async count(): Promise<number> {
    const counts = await Promise.all(
      this.prefixes.map((_, shard) => this.run(shard, 'kwsCount', ['nodes']) as Promise<number>),
    );
    return counts.reduce((sum, n) => sum + n, 0);
  }

  /** Connections per live node, every shard's summed. */
  async nodeCounts(): Promise<Record<string, number>> {
    const flat = await Promise.all(
      this.prefixes.map(
        (_, shard) => this.run(shard, 'kwsNodeCounts', ['nodes']) as Promise<unknown[]>,
      ),
    );
    const counts: Record<string, number> = {};
    for (const list of flat) {
      for (let i = 0; i + 1 < list.length; i += 2) {
        const node = String(list[i]);
        counts[node] = (counts[node] ?? 0) + Number(list[i + 1]);
      }
    }
    return counts;
  }

  /**
   * Appends this node's latest inspector sample to its list (`<prefix>:insp:<node>`), keeps the
   * last `keep`, and lets the list expire `ttlMs` after this write: one MULTI.
   */
  async pushSample(sample: string, keep: number, ttlMs: number): Promise<void> {
    const key = `${this.samplesPrefix}:${this.node}`;
    await this.inFlight.track(
      this.redis.multi().rpush(key, sample).ltrim(key, -keep, -1).pexpire(key, ttlMs).exec(),
    );
  }

  /** The inspector samples `nodes` keep (oldest first; none for a node whose list expired). */
  async nodeSamples(nodes: readonly string[]): Promise<Record<string, string[]>> {
    const samples: Record<string, string[]> = {};
    if (nodes.length === 0) return samples;
    const pipeline = this.redis.pipeline();
    for (const node of nodes) pipeline.lrange(`${this.samplesPrefix}:${node}`, 0, -1);
    const replies = (await this.inFlight.track(pipeline.exec())) ?? [];
    nodes.forEach((node, i) => {
      const [error, list] = replies[i] ?? [null, []];
      if (error) throw error;
      samples[node] = list as string[];
    });
    return samples;
  }

  async publish(channel: string, message: Buffer): Promise<number> {
    const sent = this.sharded
      ? (this.redis.spublish(channel, message) as Promise<number>)
      : this.redis.publish(channel, message);
    return this.inFlight.track(sent);
  }

  private async roomChange(
    script: 'kwsRoomJoin' | 'kwsRoomLeave' | 'kwsRoomAdopt',
    uuid: string,
    rooms: readonly string[],
  ): Promise<string[]> {
    await this.joinBarrier;
    const changes = await Promise.all(
      Array.from(
        this.byShard(rooms, (room) => room),
        ([shard, own]) =>
          this.run(
            shard,
            script,
            [...this.ownKeys('members', 'rooms'), ...own.flatMap(roomKeys)],
            this.node,
            uuid,
            ...own,
          ),
      ),
    );
    return (changes as string[][]).flat();
  }

  private liftBarrier(barrier: Promise<void>): void {
    if (this.joinBarrier === barrier) this.joinBarrier = undefined;
  }

  /**
   * Groups items by the shard of their key, in order (one group on a standalone Redis).
   * `everyShard`: empty groups too (a join must mark the node alive in every shard).
   */
  private byShard<T>(
    items: readonly T[],
    key: (item: T) => string,
    everyShard = false,
  ): Map<number, T[]> {
    const groups = new Map<number, T[]>();
    if (this.shards === 1) {
      groups.set(0, [...items]);
      return groups;
    }
    if (everyShard) for (let shard = 0; shard < this.shards; shard++) groups.set(shard, []);
    for (const item of items) {
      const shard = this.shardOf(key(item));
      const group = groups.get(shard);
      if (group) group.push(item);
      else groups.set(shard, [item]);
    }
    return groups;
  }

  /**
   * Runs a script in a shard. `keys`: the keys it declares after `<prefix>:dir` (always KEYS[1]),
   * without the shard prefix (see each script's header); ARGV[1] is the prefix, for the keys it
   * finds while it runs.
   */
  private run(
    shard: number,
    script: Script,
    keys: readonly string[],
    ...args: Array<string | number | Buffer>
  ): Promise<unknown> {
    const command = (
      this.redis as unknown as Record<Script, (...a: unknown[]) => Promise<unknown>>
    )[script];
    const prefix = this.prefixes[shard];
    const declared = [`${prefix}:dir`, ...keys.map((key) => `${prefix}:${key}`)];
    return this.inFlight.track(
      command.call(this.redis, declared.length, ...declared, prefix, ...args),
    );
  }

  /** Keys of this node (`alive`, `conns`, `members`: `<kind>:<node>`) and shard-wide ones, in order. */
  private ownKeys(...kinds: string[]): string[] {
    return kinds.map((kind) => (NODE_KEYS.has(kind) ? `${kind}:${this.node}` : kind));
  }
}

/** One page of a directory scan: the items found, and the cursor of the next ('0': the end). */
export interface ScanPage {
  cursor: string;
  items: string[];
}

/** The shard of a uuid or a room name among `shards` (FNV-1a: cheap, stable across processes). */
export function directoryShard(key: string, shards: number): number {
  if (shards === 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}

/** The keys of a node: `<kind>:<node>`. */
const NODE_KEYS = new Set(['alive', 'conns', 'members']);

/** The two keys of a room a membership change touches. */
function roomKeys(room: string): string[] {
  return [`room:${room}`, `roomnodes:${room}`];
}

function toPairs(flat: readonly string[]): Array<{ uuid: string; room: string }> {
  const pairs: Array<{ uuid: string; room: string }> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push({ uuid: flat[i], room: flat[i + 1] });
  return pairs;
}

/** The same script for Redis Cluster: sharded channels. */
function shardedScript(lua: string): string {
  return lua.replaceAll("'PUBLISH'", "'SPUBLISH'").replaceAll("'NUMSUB'", "'SHARDNUMSUB'");
}
