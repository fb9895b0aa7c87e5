import type { Redis } from 'ioredis';
import * as scripts from './directory.scripts.js';
import { InFlightCommands } from './in-flight.commands.js';

/**
 * uuids per CLAIM_ALL call and per GC_STEP call: small enough that no script call blocks Redis
 * for more than about a millisecond (see docs/cluster.md, "Cost model").
 */
export const CLAIM_BATCH = 200;
export const GC_BATCH = 250;

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
  kwsRoomJoin: scripts.ROOM_JOIN,
  kwsRoomLeave: scripts.ROOM_LEAVE,
  kwsRoomSync: scripts.ROOM_SYNC,
  kwsRoomSize: scripts.ROOM_SIZE,
  kwsRoomMembers: scripts.ROOM_MEMBERS,
  kwsRooms: scripts.ROOMS,
  kwsPublishRoom: scripts.PUBLISH_ROOM,
} as const;

/** Memberships per ROOM_SYNC call (a rejoin re-registers them in bounded batches). */
export const SYNC_BATCH = 100;

/** Room memberships removed from the directory, and whether their node was still alive. */
export interface RemovedMembers {
  nodeAlive: boolean;
  members: Array<{ uuid: string; room: string }>;
}

/** What a heartbeat found. */
export type HeartbeatStatus = 'alive' | 'expired' | 'not-listening';

/** Where `route` sent a message. */
export type RouteResult = 'sent' | 'unknown' | 'not-listening';

/**
 * The cluster-wide directory of connections (uuid -> node) and the liveness of nodes, as seen
 * by one node. Every method is one Redis round trip (one atomic script) unless it says otherwise.
 * A command whose connection drops while it is in flight rejects at once with
 * `KwsOutcomeUnknownError` and is never re-sent (see `InFlightCommands`).
 */
export class ConnectionDirectory {
  private readonly inFlight = new InFlightCommands();

  /** Every key and channel of the directory starts with it (a hash tag with Redis Cluster). */
  private readonly prefix: string;
  /** The key each script call is routed by (Redis Cluster sends it to the slot's master). */
  private readonly slotKey: string;

  /**
   * `sharded`: Redis Cluster. Every key and channel then carries the hash tag `{prefix}`, so each
   * script touches one slot, and pub/sub is sharded (SPUBLISH/SSUBSCRIBE): a message is handled
   * by the shard owning that slot instead of being copied to every shard.
   */
  constructor(
    private readonly redis: Redis,
    prefix: string,
    readonly node: string,
    private readonly nodeTtl: number,
    readonly sharded = false,
  ) {
    this.prefix = sharded ? `{${prefix}}` : prefix;
    this.slotKey = `${this.prefix}:dir`;
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      redis.defineCommand(name, { numberOfKeys: 1, lua: sharded ? shardedScript(lua) : lua });
    }
    redis.on('close', () => this.inFlight.connectionLost());
  }

  /** Channel every node listens to. */
  get broadcastChannel(): string {
    return `${this.prefix}:broadcast`;
  }

  /** Channel of one room: the nodes holding members of it listen (room channels on). */
  roomChannel(room: string): string {
    return `${this.prefix}:roomch:${room}`;
  }

  /** Publishes a room broadcast; resolves with how many nodes got it and how many should have. */
  async publishRoom(room: string, message: Buffer): Promise<{ receivers: number; live: number }> {
    const [receivers, live] = (await this.run(
      'kwsPublishRoom',
      room,
      this.roomChannel(room),
      message,
    )) as [number, number];
    return { receivers, live };
  }

  /** Channel of one node (requests to it, replies to its requests). */
  nodeChannel(node: string = this.node): string {
    return `${this.prefix}:node:${node}`;
  }

  /**
   * (Re)joins with the given local uuids; resolves with those a live node claimed meanwhile.
   * Every command is sent in the same tick, so a register or release issued later lands after.
   */
  async join(uuids: readonly string[]): Promise<string[]> {
    const first = uuids.slice(0, CLAIM_BATCH);
    const sent: Promise<unknown>[] = [this.run('kwsJoin', this.node, this.nodeTtl, ...first)];
    for (let start = CLAIM_BATCH; start < uuids.length; start += CLAIM_BATCH) {
      sent.push(this.run('kwsClaimAll', this.node, ...uuids.slice(start, start + CLAIM_BATCH)));
    }
    return ((await Promise.all(sent)) as string[][]).flat();
  }

  /**
   * Refreshes this node's liveness (only while its subscription is live) and retires dead nodes;
   * `garbage` is how many retired uuid sets wait for `collectGarbage`, `live` how many nodes are
   * alive.
   */
  async heartbeat(): Promise<{ status: HeartbeatStatus; garbage: number; live: number }> {
    const [status, garbage, live] = (await this.run(
      'kwsHeartbeat',
      this.node,
      this.nodeTtl,
      this.nodeChannel(),
    )) as [number, number, number];
    const state = status === 1 ? 'alive' : status === 0 ? 'expired' : 'not-listening';
    return { status: state, garbage, live };
  }

  /**
   * Drains retired uuid sets (dead nodes', or this node's from before a rejoin), one bounded batch
   * per call, until none is left. Several nodes may drain at once; each batch is taken atomically.
   */
  async collectGarbage(removed: (members: RemovedMembers) => void): Promise<void> {
    for (;;) {
      const [left, alive, ...pairs] = (await this.run('kwsGcStep', GC_BATCH)) as [
        number,
        number,
        ...string[],
      ];
      if (pairs.length > 0) removed({ nodeAlive: alive === 1, members: toPairs(pairs) });
      if (left === 0) return;
    }
  }

  /** The connection joins rooms; resolves with the rooms it is new to. */
  async roomJoin(uuid: string, rooms: readonly string[]): Promise<string[]> {
    return (await this.run('kwsRoomJoin', this.node, uuid, ...rooms)) as string[];
  }

  /** The connection leaves rooms; resolves with the rooms it was in. */
  async roomLeave(uuid: string, rooms: readonly string[]): Promise<string[]> {
    return (await this.run('kwsRoomLeave', this.node, uuid, ...rooms)) as string[];
  }

  /**
   * Re-registers memberships after a rejoin, `SYNC_BATCH` per call, all sent in one tick;
   * resolves with those new to their room.
   */
  async roomSync(
    members: ReadonlyArray<{ uuid: string; room: string }>,
  ): Promise<Array<{ uuid: string; room: string }>> {
    const sent: Promise<unknown>[] = [];
    for (let start = 0; start < members.length; start += SYNC_BATCH) {
      const batch = members.slice(start, start + SYNC_BATCH).flatMap((m) => [m.uuid, m.room]);
      sent.push(this.run('kwsRoomSync', this.node, ...batch));
    }
    return ((await Promise.all(sent)) as string[][]).flatMap(toPairs);
  }

  async roomSize(room: string): Promise<number> {
    return (await this.run('kwsRoomSize', room)) as number;
  }

  async roomMembers(room: string): Promise<string[]> {
    return (await this.run('kwsRoomMembers', room)) as string[];
  }

  async rooms(): Promise<string[]> {
    return (await this.run('kwsRooms')) as string[];
  }

  async leave(): Promise<void> {
    await this.run('kwsLeave', this.node);
  }

  async register(uuid: string): Promise<void> {
    await this.run('kwsClaimAll', this.node, uuid);
  }

  async release(uuid: string): Promise<void> {
    await this.run('kwsRelease', this.node, uuid);
  }

  /** Claims `to` and releases `from` in one step; false when a live node holds `to`. */
  async rename(from: string, to: string): Promise<boolean> {
    return (await this.run('kwsRename', this.node, from, to)) === 1;
  }

  /** Publishes `message` to the live node holding `uuid`. */
  async route(uuid: string, message: Buffer): Promise<RouteResult> {
    const receivers = (await this.run('kwsRoute', uuid, message)) as number;
    return receivers > 0 ? 'sent' : receivers === 0 ? 'not-listening' : 'unknown';
  }

  /**
   * Publishes `message` once to each live node holding one of `uuids`; resolves with the node of
   * each uuid ('' when none).
   */
  async routeList(uuids: readonly string[], message: Buffer): Promise<string[]> {
    return (await this.run('kwsRouteList', message, ...uuids)) as string[];
  }

  /** Publishes to every node; resolves with how many received it and how many are alive. */
  async publishAll(message: Buffer): Promise<{ receivers: number; live: number }> {
    const [receivers, live] = (await this.run('kwsPublishAll', this.broadcastChannel, message)) as [
      number,
      number,
    ];
    return { receivers, live };
  }

  async count(): Promise<number> {
    return (await this.run('kwsCount')) as number;
  }

  async publish(channel: string, message: Buffer): Promise<number> {
    const sent = this.sharded
      ? (this.redis.spublish(channel, message) as Promise<number>)
      : this.redis.publish(channel, message);
    return this.inFlight.track(sent);
  }

  private run(script: Script, ...args: Array<string | number | Buffer>): Promise<unknown> {
    const command = (
      this.redis as unknown as Record<Script, (...a: unknown[]) => Promise<unknown>>
    )[script];
    return this.inFlight.track(command.call(this.redis, this.slotKey, this.prefix, ...args));
  }
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
