import { randomBytes } from 'node:crypto';
import type { KwsOutbound } from '../connection/outbound.message.js';
import type { KwsEventPacket } from '../events/kws-packet.interface.js';
import { KwsInvalidConnectionError } from '../errors/kws-invalid-connection.error.js';
import { KwsMessageDroppedError } from '../errors/kws-message-dropped.error.js';
import type { Kws } from '../connection/kws.js';
import type { KwsBroker } from './kws-broker.interface.js';
import { PresenceListeners, type KwsPresenceListener } from './presence.js';
import type { KwsConnectionPool } from '../server/connection.pool.js';
import type { KwsLocalPage } from '../server/local.walks.js';
import type { KwsPage } from './kws-page.interface.js';
import { decodeCursor, encodeCursor, intField, invalidCursor, walkTag } from './page.cursor.js';

/** The default broker: one node, everything in process. */
export class LocalKwsBroker implements KwsBroker {
  private readonly presence = new PresenceListeners();
  /** Names this process's cursors: one from before a restart is refused, not misread. */
  private readonly epoch = randomBytes(6).toString('base64url');

  constructor(private readonly pool: KwsConnectionPool) {
    // One node: every local change of membership is the change, announced as it happens.
    pool.onMembership(({ type, room, uuid, reason }) =>
      this.presence.emit({ type, room, uuid, reason }),
    );
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  // One process: the pool itself is the directory, nothing to claim.
  async register(_uuid: string): Promise<void> {}

  /** Whether `register` does anything: not here, unless a subclass overrides it. */
  get registersConnections(): boolean {
    return this.register !== LocalKwsBroker.prototype.register;
  }

  unregister(_uuid: string): void {}

  async rename(from: string, to: string): Promise<void> {
    this.pool.rekey(from, to);
  }

  async emitTo(uuid: string, message: KwsOutbound): Promise<void> {
    const delivery = this.pool.deliver(uuid, message);
    if (delivery === 'unknown') throw new KwsInvalidConnectionError(uuid);
    if (delivery === 'dropped') throw new KwsMessageDroppedError(uuid, 'slow-consumer');
  }

  async emitToList(uuids: readonly string[], message: KwsOutbound): Promise<string[]> {
    return uuids.filter((uuid) => !this.pool.sendTo(uuid, message, true));
  }

  async broadcast(message: KwsOutbound, except?: string, room?: string): Promise<string[]> {
    return this.pool.broadcast(message, except, room);
  }

  emitWithAck(uuid: string, packet: KwsEventPacket, timeoutMs: number): Promise<unknown> {
    const kws = this.pool.get(uuid);
    if (!kws) return Promise.reject(new KwsInvalidConnectionError(uuid));
    return kws.request(packet, { timeout: timeoutMs });
  }

  async fire(event: string, data: Buffer): Promise<void> {
    this.pool.fire(event, data);
  }

  async close(uuid: string, code: number, reason: string): Promise<void> {
    if (!this.pool.close(uuid, code, reason)) throw new KwsInvalidConnectionError(uuid);
  }

  async closeAll(code: number, reason: string): Promise<void> {
    this.pool.closeAll(code, reason);
  }

  async count(): Promise<number> {
    return this.pool.size;
  }

  async join(uuid: string, rooms: readonly string[]): Promise<void> {
    this.connection(uuid).join(...rooms);
  }

  async leave(uuid: string, rooms: readonly string[]): Promise<void> {
    this.connection(uuid).leave(...rooms);
  }

  async roomSize(room: string): Promise<number> {
    return this.pool.roomSize(room);
  }

  async roomMembers(room: string): Promise<string[]> {
    return this.pool.roomMembers(room);
  }

  async rooms(): Promise<string[]> {
    return this.pool.roomNames();
  }

  /**
   * Rooms in the order they began, after the cursor's position: one present for the whole walk
   * comes exactly once; one that began during it comes once if it began after the position.
   */
  async roomsPage(cursor: string, count: number): Promise<KwsPage> {
    const tag = walkTag('local');
    return this.page(tag, this.pool.roomsAfter(this.position(cursor, tag), count));
  }

  /** A room's members in the order they joined, after the cursor's position (as `roomsPage`). */
  async roomMembersPage(room: string, cursor: string, count: number): Promise<KwsPage> {
    const tag = walkTag('local', room);
    return this.page(tag, this.pool.roomMembersAfter(room, this.position(cursor, tag), count));
  }

  onPresence(listener: KwsPresenceListener): () => void {
    return this.presence.add(listener);
  }

  /** The position a cursor names: 0 to start; a cursor of another process is stale. */
  private position(cursor: string, tag: string): number {
    const fields = decodeCursor(cursor, tag);
    if (fields === undefined) return 0;
    if (fields[0] !== this.epoch) throw invalidCursor('stale: issued before a restart');
    return intField(fields[1], 1, this.pool.walkPosition);
  }

  private page(tag: string, page: KwsLocalPage): KwsPage {
    return {
      items: page.items,
      cursor: page.done ? '' : encodeCursor(tag, [this.epoch, page.last]),
    };
  }

  private connection(uuid: string): Kws {
    const kws = this.pool.get(uuid);
    if (!kws?.isAlive()) throw new KwsInvalidConnectionError(uuid);
    return kws;
  }
}
