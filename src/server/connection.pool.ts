import { Injectable } from '@nestjs/common';
import { KwsState, type Kws } from '../connection/kws.js';
import type { KwsOutbound } from '../connection/outbound.message.js';
import { KwsUUIDDuplicationError } from '../errors/kws-uuid-duplication.error.js';
import { KwsEventDispatcher } from '../events/event.dispatcher.js';
import { KwsLocalWalks, type KwsLocalPage } from './local.walks.js';

/** A change of local room membership; a broker mirrors it cluster-wide and announces it. */
export interface KwsMembershipChange {
  type: 'join' | 'leave';
  uuid: string;
  room: string;
  reason: 'joined' | 'left' | 'disconnected' | 'renamed';
  /**
   * Cluster mode with recovery: the session moves between nodes (a rejoin of the rooms a session
   * brought along, or the leave of one handed over or resumed elsewhere), not a presence change.
   */
  moved?: boolean;
}

/**
 * A room's local members. `seq` numbers the room and each membership in the order they began,
 * which is also the order of the maps: a paged walk resumes after a number, so it survives removals.
 */
interface Room {
  readonly seq: number;
  readonly members: Map<Kws, number>;
}

/** What became of a message to one local uuid. */
export type KwsDelivery = 'sent' | 'unknown' | 'dropped';

/**
 * The connections of this node, by uuid, and the operations on them that a broker delivers
 * locally. A cluster broker calls the same methods for what arrives from other nodes.
 */
@Injectable()
export class KwsConnectionPool {
  private readonly connections = new Map<string, Kws>();
  /** Room name -> its local members; a room exists while it has members. */
  private readonly rooms = new Map<string, Room>();
  /** The last number given to a room or a membership (see `Room`). */
  private seq = 0;
  /** Paged walks of `rooms` and of a room's members, open between two pages. */
  private readonly walks = new KwsLocalWalks();
  /**
   * Connection -> the rooms it joined: the other direction of the same index (the one home of
   * membership). Kept after the connection leaves the pool, so `disconnect` listeners can still
   * read `kws.rooms()`; it goes with the connection object.
   */
  private readonly memberships = new WeakMap<Kws, Set<string>>();
  private membershipListener: ((change: KwsMembershipChange) => void) | undefined;
  /** Channels' hook (src/channels): told after the broker, with the connection itself. */
  private membershipObserver: ((change: KwsMembershipChange, kws: Kws) => void) | undefined;

  constructor(private readonly dispatcher: KwsEventDispatcher) {}

  get size(): number {
    return this.connections.size;
  }

  get(uuid: string): Kws | undefined {
    return this.connections.get(uuid);
  }

  has(uuid: string): boolean {
    return this.connections.has(uuid);
  }

  values(): IterableIterator<Kws> {
    return this.connections.values();
  }

  add(kws: Kws): void {
    if (this.connections.has(kws.uuid)) throw new KwsUUIDDuplicationError(kws.uuid);
    this.connections.set(kws.uuid, kws);
  }

  /**
   * Removes the connection (and its room memberships) if it is still the one under its uuid.
   * `moved`: its session goes on on another node (handed over, or resumed there).
   */
  delete(kws: Kws, moved = false): boolean {
    if (this.connections.get(kws.uuid) !== kws) return false;
    for (const room of this.roomsOf(kws)) this.removeMember(kws, room, 'disconnected', moved);
    return this.connections.delete(kws.uuid);
  }

  /** The broker's hook: told of every change of local room membership, in order. */
  onMembership(listener: (change: KwsMembershipChange) => void): void {
    this.membershipListener = listener;
  }

  /** @internal The channels' hook: every change of local membership, after the broker's. */
  observeMembership(observer: (change: KwsMembershipChange, kws: Kws) => void): void {
    this.membershipObserver = observer;
  }

  private changed(change: KwsMembershipChange, kws: Kws): void {
    this.membershipListener?.(change);
    this.membershipObserver?.(change, kws);
  }

  /** Adds a local connection to a room; false if it was a member already. */
  join(kws: Kws, room: string): boolean {
    let entry = this.rooms.get(room);
    if (!entry) this.rooms.set(room, (entry = { seq: ++this.seq, members: new Map() }));
    if (entry.members.has(kws)) return false;
    entry.members.set(kws, ++this.seq);
    let joined = this.memberships.get(kws);
    if (!joined) this.memberships.set(kws, (joined = new Set()));
    joined.add(room);
    // Joined while a resume's checks run, after its first accept: rooms a moved session brought.
    const moved = kws.state === KwsState.Opening && kws.hasConnected;
    this.changed({ type: 'join', uuid: kws.uuid, room, reason: 'joined', moved }, kws);
    return true;
  }

  /** Removes a local connection from a room; false if it was not a member. */
  leave(kws: Kws, room: string): boolean {
    if (!this.removeMember(kws, room, 'left')) return false;
    this.memberships.get(kws)?.delete(room);
    return true;
  }

  /** How many rooms a connection would be in after joining `rooms` (for `maxRoomsPerConnection`). */
  roomCountAfter(kws: Kws, rooms: readonly string[]): number {
    const joined = this.memberships.get(kws);
    let count = joined?.size ?? 0;
    for (let i = 0; i < rooms.length; i++) {
      // A name given twice in one call counts once.
      if (!joined?.has(rooms[i]) && rooms.indexOf(rooms[i]) === i) count++;
    }
    return count;
  }

  /** The rooms a connection joined (still listed after it left the pool, see `memberships`). */
  roomsOf(kws: Kws): string[] {
    const joined = this.memberships.get(kws);
    return joined ? Array.from(joined) : [];
  }

  /** Takes a connection off a room's member list, and says so to the broker. */
  private removeMember(
    kws: Kws,
    room: string,
    reason: 'left' | 'disconnected',
    moved = false,
  ): boolean {
    const members = this.rooms.get(room)?.members;
    if (!members?.delete(kws)) return false;
    if (members.size === 0) this.rooms.delete(room);
    this.changed({ type: 'leave', uuid: kws.uuid, room, reason, moved }, kws);
    return true;
  }

  /** Local members of a room. */
  roomSize(room: string): number {
    return this.rooms.get(room)?.members.size ?? 0;
  }

  /** The uuids of a room's local members. */
  roomMembers(room: string): string[] {
    return Array.from(this.rooms.get(room)?.members.keys() ?? [], (kws) => kws.uuid);
  }

  /** Rooms with at least one local member. */
  roomNames(): string[] {
    return Array.from(this.rooms.keys());
  }

  /** @internal The highest position a walk can be at now (see `roomsAfter`). */
  get walkPosition(): number {
    return this.seq;
  }

  /** @internal Up to `count` rooms that began after position `after` (0: the first), in order. */
  roomsAfter(after: number, count: number): KwsLocalPage {
    return this.walks.page(
      this.rooms,
      (_, room) => room.seq,
      (name) => name,
      after,
      count,
    );
  }

  /** @internal Up to `count` local members of `room` that joined after position `after`, in order. */
  roomMembersAfter(room: string, after: number, count: number): KwsLocalPage {
    const members = this.rooms.get(room)?.members;
    if (!members) return { items: [], last: after, done: true };
    return this.walks.page(
      members,
      (_, seq) => seq,
      (kws) => kws.uuid,
      after,
      count,
    );
  }

  /** Moves a connection to a new uuid; a uuid already held here is refused and nothing changes. */
  rekey(from: string, to: string): void {
    const kws = this.connections.get(from);
    if (!kws) return;
    if (this.connections.has(to)) throw new KwsUUIDDuplicationError(to);
    this.connections.delete(from);
    this.connections.set(to, kws);
    kws.assignUuid(to);
    // Memberships follow the connection; seen from the room, the old uuid left, the new one joined.
    for (const room of this.roomsOf(kws)) {
      if (!this.rooms.get(room)?.members.has(kws)) continue;
      this.changed({ type: 'leave', uuid: from, room, reason: 'renamed' }, kws);
      this.changed({ type: 'join', uuid: to, room, reason: 'renamed' }, kws);
    }
  }

  /**
   * Writes to one local connection; false when it is unknown or not open. `fanOut` when the same
   * message goes to many uuids (emitToList), so writes coalesce until the end of the turn.
   */
  sendTo(uuid: string, message: KwsOutbound, fanOut = false): boolean {
    return this.deliver(uuid, message, fanOut) === 'sent';
  }

  /**
   * As `sendTo`, telling an unknown or closing connection ('unknown') from a live one whose peer
   * does not read fast enough ('dropped' by the slow-consumer policy).
   */
  deliver(uuid: string, message: KwsOutbound, fanOut = false): KwsDelivery {
    const kws = this.connections.get(uuid);
    if (kws === undefined || !kws.isReachable()) return 'unknown';
    return kws.send(message, fanOut) ? 'sent' : 'dropped';
  }

  /**
   * Writes one frame to every local connection (of `room`, when given) but `except`; returns the
   * uuids it could not reach.
   */
  broadcast(message: KwsOutbound, except?: string, room?: string): string[] {
    let failed: string[] | undefined;
    const targets =
      room === undefined ? this.connections.values() : this.rooms.get(room)?.members.keys();
    if (!targets) return [];
    for (const kws of targets) {
      if (kws.uuid === except) continue;
      if (!kws.inFanOut) continue;
      if (!kws.send(message, true)) (failed ??= []).push(kws.uuid);
    }
    return failed ?? [];
  }

  /** Runs the listeners of `event` once per local connection. */
  fire(event: string, data: Buffer): void {
    // A snapshot: a listener that calls setUUID re-inserts its connection, which a live
    // iteration would visit twice.
    for (const kws of Array.from(this.connections.values())) {
      this.dispatcher.dispatch(kws, event, data);
    }
  }

  /** Closes one local connection; false when it is unknown. */
  close(uuid: string, code: number, reason: string): boolean {
    const kws = this.connections.get(uuid);
    if (!kws) return false;
    kws.close(code, reason);
    return true;
  }

  closeAll(code: number, reason: string): void {
    for (const kws of Array.from(this.connections.values())) kws.close(code, reason);
  }
}
