import type { WebSocket } from 'ws';
import { KwsDisconnectError } from '../errors/kws-disconnect.error.js';
import { KwsError } from '../errors/kws.error.js';
import { KwsInvalidConnectionError } from '../errors/kws-invalid-connection.error.js';
import { KwsUnreachedError } from '../errors/kws-unreached.error.js';
import type { KwsAttributes } from '../kws-module-options.interface.js';
import {
  CloseCode,
  DEFAULT_CLOSE_REASON,
  KwsEvent,
  KwsMessageType,
  MAX_CLOSE_REASON_BYTES,
} from '../kws.constants.js';
import { INTERNAL_ERROR, INVALID_UUID, TOO_MANY_ROOMS } from '../kws.messages.js';
import type { KwsAckPacket, KwsPacket } from '../events/kws-packet.interface.js';
import { isBuiltInJsonEncode, jsonAck } from '../events/json.parser.js';
import type {
  KwsEventName,
  KwsEventReply,
  KwsEventsOr,
  KwsMessageOf,
  KwsPacketOf,
} from '../events/kws-event-map.types.js';
import type { KwsContext } from './kws.context.js';
import type { KwsDeliveryPath } from './delivery.path.js';
import { markHandled as handled } from './handled.promise.js';
import { checkEventName, checkRoomName } from './name.bounds.js';
import {
  binaryOf,
  encodePacket,
  KwsOutbound,
  toBuffer,
  type KwsData,
  type KwsMessage,
} from './outbound.message.js';
import { KwsPendingRequests } from './pending.requests.js';
import type { KwsRequest } from './request.data.js';
import type { KwsRecoverySession } from '../recovery/recovery.session.js';
import type { KwsBackPressure } from '../transport/frame.writer.js';
import { REFUSAL_GRACE_MS } from '../transport/upgrade.gate.js';

export type { KwsData, KwsMessage } from './outbound.message.js';

/** Options of `request`. */
export interface KwsRequestOptions {
  /** Milliseconds to wait for the acknowledgement. Default: the module's `requestTimeout` (5 s). */
  timeout?: number;
}

const NO_ATTRIBUTES: Readonly<Record<string, unknown>> = Object.freeze({});
const OPEN = 1;

/**
 * Where a connection is in its life. One field, changed only by the transition methods of `Kws`
 * (`accept`, `refuse`, `close`, `terminate`, `suspend`, `reattach`, `movedHere`, `shuttingDown`,
 * `markEnded`): every route that delivers a frame to listeners asks it first. See
 * docs/security.md.
 *
 *     opening ──accept──▶ connected ──close()──▶ closing ──▶ ended (disconnect)
 *        │                   │  └──terminate (heartbeat, slow consumer)──▶ cutting ──▶ ended
 *        └─refuse─▶ refused ──▶ ended (no disconnect: connect never completed)
 *                 connected/cutting ──drop (recovery on)──▶ suspended ──resume──▶ opening
 */
export const KwsState = {
  /** Accepted by the upgrade gate; `connect` (or a resume's checks) is deciding. Frames wait. */
  Opening: 0,
  /** `connect` completed: frames reach listeners; `disconnect` will fire once. */
  Connected: 1,
  /** A guard, a `connect` listener or `connectTimeout` refused it: closing, nothing more runs. */
  Refused: 2,
  /** The server closes it on purpose (`close()`, shutdown): a clean `disconnect` follows. */
  Closing: 3,
  /** The server cut it for a fault (heartbeat, slow consumer, protocol error). */
  Cutting: 4,
  /** Recovery on: its socket dropped; messages are kept until a resume or the end. */
  Suspended: 5,
  /** Gone: out of the pool, its requests failed. */
  Ended: 6,
} as const;

/** One of {@link KwsState}. */
export type KwsState = (typeof KwsState)[keyof typeof KwsState];

/**
 * One WebSocket connection: the Go package's `*socketio.Websocket`. `Emit` is the event map of
 * what the server sends (the client's `ServerEvents`): with it, a wrong event name or payload in
 * `emit`/`request`/`broadcast` does not compile.
 */
export class Kws<Emit extends object = object> {
  private currentUuid: string;
  private attributes: Map<string, unknown> | undefined;
  private pending: KwsPendingRequests | undefined;
  private current: KwsState = KwsState.Opening;
  /**
   * @internal Whether `connect` completed for this session (it stays true across a resume):
   * `disconnect` fires if and only if it did.
   */
  private accepted = false;
  /** @internal When the last unanswered ping went out (0: none outstanding). */
  pingSentAt = 0;
  /** @internal Why the server ended the socket, when it knows better than the close code. */
  endError: KwsDisconnectError | undefined;
  /** @internal Recovery on: the session (token, kept messages, suspended or not). */
  session: KwsRecoverySession | undefined;
  /** @internal Set while the send queue is past the high-water mark (see `drained()`). */
  backPressure: KwsBackPressure | undefined = undefined;

  /** @internal Built by the endpoint for each accepted socket. */
  constructor(
    /** The underlying `ws` socket (the Go package's `kws.Conn`); a new one after a resume. */
    public conn: WebSocket,
    /** @internal What the upgrade request said (params, query, headers, cookies, ip). */
    public upgrade: KwsRequest,
    /** @internal */
    readonly context: KwsContext,
    uuid: string,
    attributes?: KwsAttributes,
  ) {
    this.currentUuid = uuid;
    if (attributes) {
      for (const key of Object.keys(attributes)) this.setAttribute(key, attributes[key]);
    }
  }

  /** The connection's uuid (random v4 unless set with `setUUID`). */
  get uuid(): string {
    return this.currentUuid;
  }

  getUUID(): string {
    return this.currentUuid;
  }

  /**
   * Changes the uuid, re-keying the pool. The same value is a no-op; a uuid held by another
   * connection (on any node) rejects with `KwsUUIDDuplicationError` and nothing changes.
   */
  setUUID(uuid: string): Promise<void> {
    return handled(this.rename(uuid));
  }

  private async rename(uuid: string): Promise<void> {
    if (typeof uuid !== 'string' || uuid === '') throw new KwsError(INVALID_UUID(uuid));
    if (uuid === this.currentUuid) return;
    if (this.current === KwsState.Ended) throw new KwsInvalidConnectionError(this.currentUuid);
    await this.context.broker.rename(this.currentUuid, uuid);
  }

  /** @internal Called by the pool once the new uuid is claimed. */
  assignUuid(uuid: string): void {
    this.currentUuid = uuid;
  }

  setAttribute(key: string, value: unknown): void {
    (this.attributes ??= new Map()).set(key, value);
    if (this.session) this.context.recovery!.touched(this.untyped());
  }

  getAttribute<T = unknown>(key: string): T | undefined {
    return this.attributes?.get(key) as T | undefined;
  }

  deleteAttribute(key: string): void {
    this.attributes?.delete(key);
    if (this.session) this.context.recovery!.touched(this.untyped());
  }

  /** The attribute if it is a string, '' otherwise (never throws). */
  getStringAttribute(key: string): string {
    const value = this.attributes?.get(key);
    return typeof value === 'string' ? value : '';
  }

  /** The attribute if it is an integer, 0 otherwise (never throws). */
  getIntAttribute(key: string): number {
    const value = this.attributes?.get(key);
    return typeof value === 'number' && Number.isInteger(value) ? value : 0;
  }

  /** @internal A copy of the attributes for an event payload. */
  attributesSnapshot(): Readonly<Record<string, unknown>> {
    if (!this.attributes?.size) return NO_ATTRIBUTES;
    return Object.fromEntries(this.attributes);
  }

  /** A route param of the upgrade URL (`/ws/:id` → `params('id')`). */
  params(key: string, defaultValue = ''): string {
    return this.upgrade.params[key] ?? defaultValue;
  }

  /** A query-string value of the upgrade URL. */
  query(key: string, defaultValue = ''): string {
    return this.upgrade.query.get(key) ?? defaultValue;
  }

  /** A header of the upgrade request (case-insensitive; repeated headers joined with ', '). */
  header(key: string, defaultValue = ''): string {
    const value = this.upgrade.header(key.toLowerCase());
    if (Array.isArray(value)) return value.join(', ');
    return value ?? defaultValue;
  }

  /** A cookie of the upgrade request. */
  cookies(key: string, defaultValue = ''): string {
    return this.upgrade.cookies.get(key) ?? defaultValue;
  }

  /**
   * The peer address; behind proxies trusted by `trustProxy`, the client's from `X-Forwarded-For`.
   * Read from the socket on first use and kept: read it while the connection is open (in
   * `connect`, say) if a `disconnect` listener needs it, since a socket that is gone has no
   * address left to read.
   */
  get ip(): string {
    return this.upgrade.ip(this.context.trust);
  }

  /**
   * Writes to this connection: raw data, or a named event `{ event, data }` encoded by the
   * endpoint's parser. Never throws. Returns false when the message was not sent (the connection
   * is not open, or the slow-consumer policy dropped it), and also once the connection's queue is
   * past `highWaterMark`: the message is queued then, but the app should wait for `drained()` (or
   * the `drain` event) before sending more, as with a Node stream.
   */
  emit(message: KwsMessageOf<Emit>, type?: KwsMessageType): boolean {
    const path = this.context.delivery.pathFor(message);
    let outbound: KwsOutbound;
    try {
      outbound = path.outbound(message, binaryOf(type));
    } catch (error) {
      // Unencodable data (a BigInt, a cycle): nothing sent, said on the connection, never thrown.
      this.reportEncodeFailure(error);
      return false;
    }
    return path.emit(this.untyped(), outbound);
  }

  /**
   * Resolves once this connection's send queue is under `highWaterMark` (at once if it is):
   * `if (!kws.emit(chunk)) await kws.drained();` paces a large transfer to the client's speed.
   * Rejects with `KwsInvalidConnectionError` if the connection ends first.
   */
  drained(): Promise<void> {
    return handled(this.drainedOrEnded());
  }

  private drainedOrEnded(): Promise<void> {
    if (!this.isAlive()) return Promise.reject(new KwsInvalidConnectionError(this.currentUuid));
    return this.context.writer.drained(this.untyped());
  }

  /** Bytes queued for this connection and not yet handed to the network (`ws`'s bufferedAmount). */
  get bufferedAmount(): number {
    return this.conn.bufferedAmount;
  }

  /**
   * Sends a named event and waits for the client's acknowledgement (its handler's return value).
   * Rejects with `KwsTimeoutError` after `timeout`, with `KwsAckError` when the client answers
   * with an error, and with `KwsInvalidConnectionError` when the connection ends first.
   */
  request<E extends KwsEventName<KwsEventsOr<Emit>>>(
    packet: KwsPacketOf<KwsEventsOr<Emit>, E>,
    options: KwsRequestOptions = {},
  ): Promise<KwsEventReply<KwsEventsOr<Emit>[E]>> {
    if (!this.isAlive())
      return handled(Promise.reject(new KwsInvalidConnectionError(this.currentUuid)));
    const pending = (this.pending ??= new KwsPendingRequests(this.context.maxPendingRequests));
    let opened: { id: number; answer: Promise<unknown> };
    try {
      opened = pending.open(packet.event, options.timeout ?? this.context.requestTimeout);
    } catch (error) {
      return handled(Promise.reject(error));
    }
    const { id, answer } = opened;
    this.context.tracer?.request(this.untyped(), packet.event, id, answer);
    // Marked handled: a request nobody awaits cannot crash the process; `await` still throws.
    answer.catch(noop);
    let outbound: KwsOutbound;
    try {
      checkEventName(packet.event);
      outbound = encodePacket(this.context.parser, { event: packet.event, data: packet.data, id });
    } catch (error) {
      // Rejected at once, nothing left pending (no timer, no entry), and said on the connection.
      pending.cancel(id, error as Error);
      this.reportEncodeFailure(error);
      return answer as Promise<KwsEventReply<KwsEventsOr<Emit>[E]>>;
    }
    if (!this.send(outbound)) pending.cancel(id, new KwsInvalidConnectionError(this.currentUuid));
    return answer as Promise<KwsEventReply<KwsEventsOr<Emit>[E]>>;
  }

  /**
   * @internal Writes a protocol packet (an ack, a session packet) through the endpoint's parser.
   * Never throws: a packet the parser cannot encode is an `error` event and `false`.
   */
  sendPacket(packet: KwsPacket): boolean {
    let outbound: KwsOutbound;
    try {
      outbound = encodePacket(this.context.parser, packet);
    } catch (error) {
      this.reportEncodeFailure(error);
      return false;
    }
    return this.send(outbound);
  }

  /**
   * @internal Acknowledges a client's event with a listener's value: `sendPacket({ ack, data })`,
   * encoded without the wrapper object when the parser is the built-in JSON one.
   */
  sendAck(ack: number, data: unknown): boolean {
    const parser = this.context.parser;
    const encoded = isBuiltInJsonEncode(parser) ? jsonAck(ack, data) : undefined;
    if (encoded !== undefined) return this.send(new KwsOutbound(Buffer.from(encoded), false));
    let outbound: KwsOutbound;
    try {
      outbound = encodePacket(parser, { ack, data });
    } catch (error) {
      // What the listener returned cannot be encoded: the client still gets its answer, a 500.
      this.reportEncodeFailure(error);
      return this.sendPacket({ ack, error: { message: INTERNAL_ERROR, status: 500 } });
    }
    return this.send(outbound);
  }

  /** @internal A client's acknowledgement of one of this connection's requests. */
  settleRequest(packet: KwsAckPacket): boolean {
    return this.pending?.settle(packet) ?? false;
  }

  /** @internal Requests still waiting for the client. */
  get pendingRequests(): number {
    return this.pending?.size ?? 0;
  }

  /**
   * @internal Writes an already built message (shared by every recipient of a broadcast);
   * `fanOut` when it is one of many recipients, so the write may wait for the end of the turn.
   */
  send(message: KwsOutbound, fanOut = false): boolean {
    const session = this.session;
    if (session !== undefined) {
      // Recovery on: a numbered packet is kept for the session as well as written; anything
      // sent while `connect` decides follows the session packet (see KwsRecoverySession.held).
      if (message.offset !== undefined) return session.send(this.untyped(), message, fanOut);
      if (this.current === KwsState.Opening) return session.hold(message);
    }
    return this.context.writer.write(this.untyped(), message, fanOut);
  }

  /**
   * Sends to another connection, wherever it lives. Rejects with `KwsInvalidConnectionError` for
   * an unknown or dead uuid, and reports that failure as an `error` event on this connection too.
   */
  emitTo(uuid: string, data: KwsMessageOf<Emit>, type?: KwsMessageType): Promise<void> {
    const path = this.context.delivery.pathFor(data);
    const message = this.outboundOrReport(path, data, type);
    if (message instanceof Promise) return message;
    return this.reported(path.emitTo(uuid, message), message);
  }

  /** Sends to each uuid; resolves with the ones that failed, also reported as one `error` event. */
  emitToList(
    uuids: readonly string[],
    data: KwsMessageOf<Emit>,
    type?: KwsMessageType,
  ): Promise<string[]> {
    const path = this.context.delivery.pathFor(data);
    const message = this.outboundOrReport(path, data, type);
    if (message instanceof Promise) return message;
    const sent = path.emitToList(uuids, message).then((failed) => {
      this.reportUnreached('emitToList', failed, message);
      return failed;
    });
    return this.reported(sent, message);
  }

  /**
   * Sends to every connection (every node in cluster mode), skipping this one when `except` is
   * true. The connections that could not be written to are reported as one `error` event here
   * (a `KwsUnreachedError` listing their uuids).
   */
  broadcast(data: KwsMessageOf<Emit>, except = false, type?: KwsMessageType): Promise<void> {
    return this.broadcastIn(undefined, data, except, type);
  }

  /** As `broadcast`, to the members of one room only (on every node in cluster mode). */
  broadcastTo(
    room: string,
    data: KwsMessageOf<Emit>,
    except = false,
    type?: KwsMessageType,
  ): Promise<void> {
    try {
      checkRoomName(room);
    } catch (error) {
      return this.rejectedAndReported(error);
    }
    return this.broadcastIn(room, data, except, type);
  }

  /**
   * Joins rooms. Membership lives on the node that holds the connection and ends with it; a
   * room broadcast reaches the members on every node.
   */
  join(...rooms: string[]): void {
    if (this.current === KwsState.Ended || this.current === KwsState.Refused) return;
    // All or nothing: the names and the count are checked before any room is joined.
    for (const room of rooms) checkRoomName(room);
    const limit = this.context.maxRoomsPerConnection;
    if (this.context.pool.roomCountAfter(this.untyped(), rooms) > limit) {
      throw new KwsError(TOO_MANY_ROOMS(this.currentUuid, limit));
    }
    for (const room of rooms) this.context.pool.join(this.untyped(), room);
    if (this.session) this.context.recovery!.touched(this.untyped());
  }

  leave(...rooms: string[]): void {
    for (const room of rooms) this.context.pool.leave(this.untyped(), room);
    if (this.session) this.context.recovery!.touched(this.untyped());
  }

  /**
   * The rooms joined. Still listed while `disconnect` listeners run (so they can tell the room),
   * though the connection no longer receives room messages by then.
   */
  rooms(): string[] {
    return this.context.pool.roomsOf(this.untyped());
  }

  inRoom(room: string): boolean {
    return this.context.pool.roomsOf(this.untyped()).includes(room);
  }

  /** The same connection as the library's internals see it (the event map only types callers). */
  private untyped(): Kws {
    return this as unknown as Kws;
  }

  /**
   * The message of a promise-returning send, or, when it cannot be built (unencodable data, a bad
   * event name), a rejection that is already reported as an `error` event and marked handled.
   */
  private outboundOrReport(
    path: KwsDeliveryPath,
    message: KwsMessage,
    type: KwsMessageType | undefined,
  ): KwsOutbound | Promise<never> {
    try {
      return path.outbound(message, binaryOf(type));
    } catch (error) {
      return this.rejectedAndReported(error);
    }
  }

  private rejectedAndReported(error: unknown): Promise<never> {
    this.reportEncodeFailure(error);
    return handled(Promise.reject(error as Error));
  }

  private broadcastIn(
    room: string | undefined,
    data: KwsMessage,
    except: boolean,
    type: KwsMessageType | undefined,
  ): Promise<void> {
    const path = this.context.delivery.pathFor(data);
    const message = this.outboundOrReport(path, data, type);
    if (message instanceof Promise) return message;
    const sent = path
      .broadcast(message, except ? this.uuid : undefined, room)
      .then((failed) => this.reportUnreached('broadcast', failed, message));
    return this.reported(sent, message);
  }

  /**
   * Runs the listeners of a custom event for this connection (the Go package's `kws.Fire`). Text
   * and bytes reach them as a Buffer, as in the Go package; any other value as it is.
   */
  fire(event: string, data?: unknown): void {
    this.context.dispatcher.dispatch(this.untyped(), event, fireData(data));
  }

  /**
   * Closes the connection from the server: fires `close` once, then sends an RFC 6455 close frame
   * (1000 "Connection closed" by default; the reason is cut to 123 bytes). Later calls do nothing.
   * Called while `connect` is still deciding (from a `connect` listener, say), it refuses the
   * connection instead: no `close`, no `disconnect`, no frame of the client's runs.
   */
  close(code: number = CloseCode.Normal, reason: string = DEFAULT_CLOSE_REASON): void {
    switch (this.current) {
      case KwsState.Opening:
        this.refuse(code, reason);
        return;
      case KwsState.Suspended:
        // A suspended session has no socket left to close: it just ends, as a clean close.
        this.current = KwsState.Closing;
        this.context.dispatcher.dispatch(this.untyped(), KwsEvent.Close);
        this.context.recovery!.end(this.untyped(), null);
        return;
      case KwsState.Connected:
        this.current = KwsState.Closing;
        this.context.dispatcher.dispatch(this.untyped(), KwsEvent.Close);
        closeSocket(this.conn, code, reason);
        return;
      default:
      // Refused, closing, cutting or ended: already on its way out.
    }
  }

  /** Where the connection is in its life (see {@link KwsState}). */
  get state(): KwsState {
    return this.current;
  }

  /** @internal Whether `connect` completed for this session: `disconnect` fires iff it did. */
  get hasConnected(): boolean {
    return this.accepted;
  }

  /**
   * @internal A session moved here from another node (accepted there): it opens as a resume,
   * so a refusal of its checks ends it with a `disconnect`.
   */
  movedHere(): void {
    if (this.current === KwsState.Opening) this.accepted = true;
  }

  /**
   * @internal The server shuts down: what is open or suspended is closing on purpose (a clean
   * `disconnect`); a connection still opening is refused.
   */
  shuttingDown(): void {
    const from = this.current;
    if (from === KwsState.Ended || from === KwsState.Refused) return;
    this.current =
      from === KwsState.Opening && !this.accepted ? KwsState.Refused : KwsState.Closing;
  }

  /** @internal opening → connected: `connect` (or a resume's checks) passed. */
  accept(): boolean {
    if (this.current !== KwsState.Opening) return false;
    this.current = KwsState.Connected;
    this.accepted = true;
    return true;
  }

  /**
   * @internal opening → refused: closes the socket with `code`; nothing the client sent runs,
   * and no `close`/`disconnect` fires for it (unless a resumed session ends, see the endpoint).
   */
  refuse(code: number, reason: string): boolean {
    if (this.current !== KwsState.Opening) return false;
    this.current = KwsState.Refused;
    this.pending?.failAll(new KwsInvalidConnectionError(this.currentUuid));
    const conn = this.conn;
    closeSocket(conn, code, reason);
    // A peer that never answers the close frame must not hold a refused socket for `ws`'s 30 s.
    setTimeout(() => conn.terminate(), REFUSAL_GRACE_MS).unref();
    return true;
  }

  /** @internal Whether frames of the client's may reach listeners now. */
  get receives(): boolean {
    return this.current === KwsState.Connected;
  }

  /**
   * @internal Whether a broadcast includes it: not while `connect` is deciding (a connection a
   * guard will refuse must not see room or global traffic) nor once refused. A resume deciding
   * (opening, accepted before) is included: its session keeps what it is sent until the checks
   * accept it (skipped, a broadcast sent meanwhile was lost for it).
   */
  get inFanOut(): boolean {
    if (this.current === KwsState.Opening) return this.accepted && this.session !== undefined;
    return this.current !== KwsState.Refused;
  }

  /**
   * @internal Whether a message to it can still arrive: alive, or (recovery on) a session whose
   * socket dropped or is dropping, which keeps its messages for the resume.
   */
  isReachable(): boolean {
    switch (this.current) {
      case KwsState.Opening:
      case KwsState.Connected:
        return this.session !== undefined || this.conn.readyState === OPEN;
      case KwsState.Suspended:
      case KwsState.Cutting:
        return this.session !== undefined;
      default:
        return false;
    }
  }

  /** True while the connection is open and not being closed. */
  isAlive(): boolean {
    return (
      (this.current === KwsState.Connected || this.current === KwsState.Opening) &&
      this.conn.readyState === OPEN
    );
  }

  /** @internal Marks the connection as gone (its requests fail); true the first time only. */
  markEnded(): boolean {
    if (this.current === KwsState.Ended) return false;
    this.current = KwsState.Ended;
    this.pending?.failAll(new KwsInvalidConnectionError(this.currentUuid));
    this.context.writer.release(this.untyped());
    return true;
  }

  /**
   * @internal Recovery: connected (or cut, or a resume whose new socket dropped while its checks
   * ran) → suspended. Requests are not kept, they fail.
   */
  suspend(): boolean {
    const from = this.current;
    if (from !== KwsState.Connected && from !== KwsState.Cutting && from !== KwsState.Opening) {
      return false;
    }
    if (!this.accepted) return false;
    this.current = KwsState.Suspended;
    this.pingSentAt = 0;
    this.pending?.failAll(new KwsInvalidConnectionError(this.currentUuid));
    return true;
  }

  /**
   * @internal Recovery: suspended → opening on a new socket (a resume). The resume's checks
   * decide next (`accept` or `refuse`); until then messages are kept, not written.
   */
  reattach(conn: WebSocket, upgrade: KwsRequest): boolean {
    if (this.current !== KwsState.Suspended) return false;
    this.current = KwsState.Opening;
    this.conn = conn;
    this.upgrade = upgrade;
    this.endError = undefined;
    return true;
  }

  /** @internal Ends the socket at once (heartbeat timeout, slow consumer), with the reason. */
  terminate(error: KwsDisconnectError): void {
    const from = this.current;
    if (from === KwsState.Ended || from === KwsState.Suspended) return;
    this.endError ??= error;
    if (from === KwsState.Connected) this.current = KwsState.Cutting;
    else if (from === KwsState.Opening) this.current = KwsState.Refused;
    this.conn.terminate();
  }

  /**
   * @internal A failed cross-connection call (unknown uuid, cluster unreachable) is also fired as
   * an `error` event here, and the returned promise is marked handled: a call nobody awaits loses
   * nothing and cannot crash the process with an unhandled rejection, while `await` still throws.
   */
  reported<T>(operation: Promise<T>, message: KwsOutbound): Promise<T> {
    const result = operation.catch((error: unknown) => {
      this.reportSendFailure(error, message);
      throw error;
    });
    result.catch(noop);
    return result;
  }

  /** One `error` event per call, listing every recipient it missed (never one per recipient). */
  private reportUnreached(
    operation: 'broadcast' | 'emitToList',
    uuids: readonly string[],
    message: KwsOutbound,
  ): void {
    if (uuids.length > 0) this.reportSendFailure(new KwsUnreachedError(operation, uuids), message);
  }

  /**
   * Something to send could not be built: an `error` event on this connection. An `error`
   * listener that sends the same bad data again is not told again (no endless recursion).
   */
  private reportEncodeFailure(error: unknown): void {
    if (reportingEncodeFailure) return;
    reportingEncodeFailure = true;
    try {
      const failure = error instanceof Error ? error : new KwsError(String(error));
      this.context.dispatcher.dispatch(this.untyped(), KwsEvent.Error, undefined, false, failure);
    } finally {
      reportingEncodeFailure = false;
    }
  }

  private reportSendFailure(error: unknown, message: KwsOutbound): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    this.context.dispatcher.dispatch(
      this.untyped(),
      KwsEvent.Error,
      message.data,
      message.binary,
      failure,
    );
  }
}

/** What `fire` hands its listeners: the Go package's bytes for text and bytes, anything else as is. */
export function fireData(data: unknown): unknown {
  if (data === undefined) return undefined;
  if (typeof data === 'string' || ArrayBuffer.isView(data) || data instanceof ArrayBuffer) {
    return toBuffer(data as KwsData);
  }
  return data;
}

/** Cuts a close reason to what fits a control frame, without splitting a UTF-8 character. */
function capReason(reason: string): string {
  let bytes = Buffer.from(reason);
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return reason;
  bytes = bytes.subarray(0, MAX_CLOSE_REASON_BYTES);
  let text = bytes.toString();
  // A cut character decodes as U+FFFD (3 bytes), which may overflow again: drop it.
  while (Buffer.byteLength(text) > MAX_CLOSE_REASON_BYTES || text.endsWith('\uFFFD')) {
    text = text.slice(0, -1);
  }
  return text;
}

/** Sends a close frame; an invalid code from the caller still ends the socket (1000). */
function closeSocket(conn: WebSocket, code: number, reason: string): void {
  try {
    conn.close(code, capReason(reason));
  } catch {
    conn.close(CloseCode.Normal, capReason(reason));
  }
}

function noop(): void {}

/** Set while an encoding failure's `error` event runs (see `reportEncodeFailure`). */
let reportingEncodeFailure = false;
