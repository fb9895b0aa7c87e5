import { Inject, Injectable } from '@nestjs/common';
import type { Kws, KwsData, KwsRequestOptions } from '../connection/kws.js';
import type { KwsContext } from '../connection/kws.context.js';
import { binaryOf, toBuffer } from '../connection/outbound.message.js';
import { checkEventName, checkRoomName } from '../connection/name.bounds.js';
import type { KwsBroker } from '../broker/kws-broker.interface.js';
import type { KwsPresenceListener } from '../broker/presence.js';
import type { KwsListener } from '../events/kws-event-payload.interface.js';
import type {
  KwsEventName,
  KwsEventReply,
  KwsEventsOr,
  KwsMessageOf,
  KwsPacketOf,
} from '../events/kws-event-map.types.js';
import { CloseCode, DEFAULT_CLOSE_REASON, KwsMessageType } from '../kws.constants.js';
import { KWS_BROKER, KWS_CONTEXT } from '../kws.tokens.js';
import { KwsListenerRegistry } from '../events/listener.registry.js';
import { KwsConnectionPool } from './connection.pool.js';
import { KwsStats } from '../metrics/kws.stats.js';
import type { KwsStatsSnapshot } from '../metrics/kws-stats.interface.js';
import { isDraining } from './session.handover.js';
import { snapshotStats } from '../metrics/stats.snapshot.js';
import { KwsChannels } from '../channels/kws.channels.js';
import type { KwsHistoryPage, KwsHistoryQuery } from '../channels/history.store.js';
import type { KwsPage, KwsPageQuery, KwsWalkOptions } from '../broker/kws-page.interface.js';
import { pageCount } from '../broker/page.cursor.js';
import { sortedPage } from './sorted.pages.js';

/** Options of `KwsServer.broadcast`. */
export interface KwsBroadcastOptions {
  /** A uuid that must not receive the message (usually the sender's). */
  except?: string;
  /** Only the members of this room (see `Kws.join`). */
  room?: string;
  /** Frame type; by default text for strings and binary for bytes. */
  type?: KwsMessageType;
}

/**
 * Runs a call so that it can never crash the process: a synchronous throw (unencodable data, a
 * bad room or event name) becomes a rejection, and the rejection is marked handled. `await` still
 * throws; a call nobody awaits fails silently (there is no connection to report it on, unlike
 * `Kws.emitTo`). Every promise-returning method goes through it.
 */
function handled<T>(call: () => Promise<T>): Promise<T> {
  let result: Promise<T>;
  try {
    result = call();
  } catch (error) {
    result = Promise.reject(error);
  }
  result.catch(noop);
  return result;
}

function noop(): void {}

/** The rooms of a `join`/`leave`, each name checked before anything crosses the broker. */
function roomList(rooms: string | readonly string[]): readonly string[] {
  const list = typeof rooms === 'string' ? [rooms] : rooms;
  for (const room of list) checkRoomName(room);
  return list;
}

/** Every entry of a paged walk, page after page; stopping the loop reads no further page. */
async function* walk(read: (cursor: string) => Promise<KwsPage>): AsyncGenerator<string, void> {
  let cursor = '';
  do {
    const page = await read(cursor);
    yield* page.items;
    cursor = page.cursor;
  } while (cursor !== '');
}

/**
 * The server side of every connection, injectable anywhere (controllers, services, gateways).
 * Cross-connection calls go through the broker, so they reach every node in cluster mode.
 */
@Injectable()
export class KwsServer<Emit extends object = object> {
  constructor(
    @Inject(KWS_BROKER) private readonly broker: KwsBroker,
    private readonly pool: KwsConnectionPool,
    private readonly registry: KwsListenerRegistry,
    @Inject(KWS_CONTEXT) private readonly context: KwsContext,
    private readonly counters: KwsStats,
    private readonly channels: KwsChannels,
  ) {}

  /**
   * Sends raw data or a named event `{ event, data }` to one connection. Rejects with
   * `KwsInvalidConnectionError` for an unknown or dead uuid, `KwsMessageDroppedError` for a live
   * one whose message was dropped (slow consumer), and in cluster mode `KwsOutcomeUnknownError`
   * when no answer came (maybe delivered, never re-sent).
   */
  emitTo(uuid: string, data: KwsMessageOf<Emit>, type?: KwsMessageType): Promise<void> {
    return handled(() => {
      const path = this.context.delivery.pathFor(data);
      return path.emitTo(uuid, path.outbound(data, binaryOf(type)));
    });
  }

  /** Sends to each uuid (the frame is built once); resolves with the uuids that failed. */
  emitToList(
    uuids: readonly string[],
    data: KwsMessageOf<Emit>,
    type?: KwsMessageType,
  ): Promise<string[]> {
    return handled(() => {
      const path = this.context.delivery.pathFor(data);
      return path.emitToList(uuids, path.outbound(data, binaryOf(type)));
    });
  }

  /** Sends to every connection once; resolves with the local uuids that could not be written to. */
  broadcast(data: KwsMessageOf<Emit>, options: KwsBroadcastOptions = {}): Promise<string[]> {
    return handled(() => {
      if (options.room !== undefined) checkRoomName(options.room);
      const path = this.context.delivery.pathFor(data);
      const message = path.outbound(data, binaryOf(options.type));
      return path.broadcast(message, options.except, options.room);
    });
  }

  /** As `broadcast({ room })`: to the members of one room only. */
  broadcastTo(
    room: string,
    data: KwsMessageOf<Emit>,
    options: Omit<KwsBroadcastOptions, 'room'> = {},
  ): Promise<string[]> {
    return this.broadcast(data, { ...options, room });
  }

  /**
   * Sends a named event to one connection and resolves with its acknowledgement; rejects as
   * `Kws.request` does (timeout, error ack, connection gone).
   */
  request<E extends KwsEventName<KwsEventsOr<Emit>>>(
    uuid: string,
    packet: KwsPacketOf<KwsEventsOr<Emit>, E>,
    options: KwsRequestOptions = {},
  ): Promise<KwsEventReply<KwsEventsOr<Emit>[E]>> {
    const call = (): Promise<unknown> => {
      checkEventName(packet.event);
      return this.broker.emitWithAck(uuid, packet, options.timeout ?? this.context.requestTimeout);
    };
    // Tracing on, to another node: a span around the cluster round trip (kws.request traces the rest).
    const tracer = this.context.tracer;
    const remote = tracer !== undefined && !this.pool.has(uuid);
    return handled(remote ? () => tracer.remoteRequest(uuid, packet.event, call) : call) as Promise<
      KwsEventReply<KwsEventsOr<Emit>[E]>
    >;
  }

  /** Runs the listeners of `event` once for every connection. */
  fire(event: string, data?: KwsData): Promise<void> {
    return handled(() => {
      checkEventName(event);
      return this.broker.fire(event, data === undefined ? Buffer.alloc(0) : toBuffer(data));
    });
  }

  /** A connection of this node by uuid. */
  get(uuid: string): Kws | undefined {
    return this.pool.get(uuid);
  }

  /** The connections of this node. */
  connections(): IterableIterator<Kws> {
    return this.pool.values();
  }

  /** Live connections everywhere the broker sees (every node in cluster mode). */
  count(): Promise<number> {
    return handled(() => this.broker.count());
  }

  /** Live connections on this node. */
  get localCount(): number {
    return this.pool.size;
  }

  /**
   * This node's figures now: open connections, upgrades, messages and bytes in and out, drops,
   * timeouts, listener errors, pending requests and, in cluster mode, the cluster's state. Cheap
   * (counters are plain integers); safe to call on every health check or scrape.
   */
  stats(): KwsStatsSnapshot {
    return snapshotStats(this.counters, this.pool, this.broker);
  }

  /** True once the endpoint began shutting down: readiness is down (docs/deploying.md). */
  get draining(): boolean {
    return isDraining(this.context);
  }

  /** Closes one connection as `kws.close()` would; rejects with `KwsInvalidConnectionError`. */
  close(
    uuid: string,
    code: number = CloseCode.Normal,
    reason = DEFAULT_CLOSE_REASON,
  ): Promise<void> {
    return handled(() => this.broker.close(uuid, code, reason));
  }

  /** Closes every connection. */
  closeAll(code: number = CloseCode.Normal, reason = DEFAULT_CLOSE_REASON): Promise<void> {
    return handled(() => this.broker.closeAll(code, reason));
  }

  /**
   * Members of a room: on this node without cluster mode, on every live node with it. A
   * connection is a member from `join` until `leave` or its end.
   */
  roomSize(room: string): Promise<number> {
    return handled(() => this.broker.roomSize(room));
  }

  /**
   * The uuids of a room's members (every live node in cluster mode), all in one array: for a large
   * room, walk it with `eachRoomMember` or `roomMembersPage`.
   */
  roomMembers(room: string): Promise<string[]> {
    return handled(() => this.broker.roomMembers(room));
  }

  /**
   * Rooms with at least one member (every live node in cluster mode), all in one array: for many
   * rooms, walk them with `eachRoom` or `roomsPage`.
   */
  rooms(): Promise<string[]> {
    return handled(() => this.broker.rooms());
  }

  /**
   * One page of `rooms()`: at most `count` (1 to 1,000, default 250) and the cursor of the next
   * page ('' at the end). As Redis SCAN: a room present for the whole walk is returned; one that
   * came or went during it may or may not be; a page may be empty before the end. Duplicates:
   * none on one node, possible in cluster mode (docs/api.md). A cursor this walk did not issue, or
   * a bad `count`, rejects with `KwsError`.
   */
  roomsPage(query: KwsPageQuery = {}): Promise<KwsPage> {
    return handled(async () => {
      const cursor = query.cursor ?? '';
      const count = pageCount(query.count);
      if (this.broker.roomsPage) return this.broker.roomsPage(cursor, count);
      return sortedPage(await this.broker.rooms(), cursor, count);
    });
  }

  /** One page of `roomMembers(room)` (uuids), as `roomsPage`; a cursor of another room rejects. */
  roomMembersPage(room: string, query: KwsPageQuery = {}): Promise<KwsPage> {
    return handled(async () => {
      checkRoomName(room);
      const cursor = query.cursor ?? '';
      const count = pageCount(query.count);
      if (this.broker.roomMembersPage) return this.broker.roomMembersPage(room, cursor, count);
      return sortedPage(await this.broker.roomMembers(room), cursor, count, room);
    });
  }

  /**
   * Every room, a page at a time (`for await (const room of server.eachRoom())`): the guarantees
   * of `roomsPage`; leaving the loop early reads no further page.
   */
  eachRoom(options: KwsWalkOptions = {}): AsyncIterableIterator<string> {
    return walk((cursor) => this.roomsPage({ cursor, count: options.count }));
  }

  /** Every member (uuid) of a room, a page at a time, as `eachRoom`. */
  eachRoomMember(room: string, options: KwsWalkOptions = {}): AsyncIterableIterator<string> {
    return walk((cursor) => this.roomMembersPage(room, { cursor, count: options.count }));
  }

  /**
   * Adds a connection to rooms, wherever it lives (as `kws.join` on its node); rejects with
   * `KwsInvalidConnectionError` for an unknown or closed uuid, and with `KwsError` for a room name
   * that is not 1 to 128 characters or past `maxRoomsPerConnection` (then no room is joined).
   */
  join(uuid: string, rooms: string | readonly string[]): Promise<void> {
    return handled(() => this.broker.join(uuid, roomList(rooms)));
  }

  /** Removes a connection from rooms, wherever it lives (as `kws.leave` on its node). */
  leave(uuid: string, rooms: string | readonly string[]): Promise<void> {
    return handled(() => this.broker.leave(uuid, roomList(rooms)));
  }

  /**
   * Listens to presence: every join and leave of every room, announced once (cluster mode: on one
   * node, the one holding the connection, or for a dead node's members the one that cleaned up
   * after it). Returns a function that removes the listener.
   */
  onPresence(listener: KwsPresenceListener): () => void {
    return this.broker.onPresence(listener);
  }

  /**
   * Subscribes a connection, wherever it lives, to a channel without a join handler (the client
   * is told); see `KwsChannels` and docs/channels.md.
   */
  subscribe(uuid: string, channel: string): Promise<void> {
    return handled(() => this.channels.subscribe(uuid, channel));
  }

  /** Removes a connection from a channel (a kick: the client gets `kws:kicked` with `reason`). */
  unsubscribe(uuid: string, channel: string, reason?: string): Promise<void> {
    return handled(() => this.channels.unsubscribe(uuid, channel, reason));
  }

  /** A channel's kept messages (`history` on its `@OnKwsJoin`): the newest `limit`, or after `since`. */
  history(channel: string, query?: KwsHistoryQuery): Promise<KwsHistoryPage> {
    return handled(() => this.channels.history(channel, query));
  }

  /** Adds a listener at runtime (clients may trigger it); returns a function that removes it. */
  on(event: string, listener: KwsListener): () => void {
    const endpoint = this.context.dispatcher.endpoint;
    this.registry.add(event, listener, endpoint);
    return () => this.registry.remove(event, listener, endpoint);
  }

  /** Removes a listener, or every listener of `event`. */
  off(event: string, listener?: KwsListener): void {
    this.registry.remove(event, listener, this.context.dispatcher.endpoint);
  }
}
