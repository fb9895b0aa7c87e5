import { backoffDelay, retryAfterOf } from './backoff.js';
import { KwsClientError } from './kws-client.error.js';
import {
  CLIENT_CLOSED,
  CONNECTION_LOST,
  HANDLER_FAILED,
  MALFORMED_PACKET,
  UNENCODABLE_ANSWER,
  NO_HANDLER,
  NO_WEBSOCKET,
  QUEUE_FULL,
  REQUEST_TIMEOUT,
} from './kws-client.messages.js';
import { readAckError, readServerFrame } from './packet.reader.js';
import type {
  KwsClientOptions,
  KwsClientState,
  KwsFrame,
  KwsRequestOptions,
  KwsSession,
  KwsSocketLike,
  KwsStateChange,
} from './kws-client.options.js';
import type {
  KwsAnyEvents,
  KwsEventArgs,
  KwsEventData,
  KwsEventMap,
  KwsEventName,
  KwsEventReply,
  KwsRequestArgs,
} from './kws-events.types.js';
import { settlePending, type KwsPendingAck } from './pending.acks.js';
import { traceFields } from './trace-context.js';

type Handler = (data: any) => unknown;

interface Pending extends KwsPendingAck {
  /** The packet as sent, to send again (same `id` and `rid`) on a retry. */
  frame: string;
  /** Tries left after this one (`retries`). */
  retriesLeft: number;
}

interface Queued {
  frame: KwsFrame;
  id?: number;
}

const OPEN = 1;
/** The liveness probe and the close that follows silence (docs/protocol.md). */
const HEARTBEAT_EVENT = 'kws:heartbeat';
const LINK_LOST = 4000;
const LINK_LOST_REASON = 'liveness timeout';
/** The least a new socket gets before its silence counts (the server's connect may take that). */
const OPENING_GRACE = 10_000;

/**
 * A WebSocket client for a `KwsModule.forRoot({ parser: 'json' })` server: named events,
 * acknowledgements both ways, reconnect with backoff, an offline queue, session recovery.
 *
 * `S` types the events the server sends (and what this client answers to its requests),
 * `C` the events this client sends (and their acknowledgements).
 */
export class KwsClient<S extends KwsEventMap = KwsAnyEvents, C extends KwsEventMap = KwsAnyEvents> {
  private current: KwsClientState = 'connecting';
  private socket: KwsSocketLike | undefined;
  private readonly handlers = new Map<string, Handler[]>();
  private readonly pending = new Map<number, Pending>();
  private queue: Queued[] = [];
  /**
   * Requests in flight when the link dropped, to send again once reconnected: at once without
   * recovery, after the `session` packet with it (only a resumed session remembers their `rid`).
   */
  private retrying: number[] = [];
  /** Recovery on and requests to retry: the flush waits for the `session` packet. */
  private awaitingSession = false;
  private readonly stateListeners = new Set<(change: KwsStateChange) => void>();
  private readonly sessionListeners = new Set<(session: KwsSession) => void>();
  private readonly errorListeners = new Set<(error: KwsClientError) => void>();
  private attempt = 0;
  private lastId = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Starts the backoff over once the connection stayed up `stableAfter` ms. */
  private stableTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the last frame arrived (performance.now()), and when the last probe went out. */
  private heardAt = 0;
  private probedAt = 0;
  private livenessTimer: ReturnType<typeof setTimeout> | undefined;
  private token: string | undefined;
  private offset = '';
  private readonly online = (): void => {
    // Back online: skip the rest of the backoff wait.
    if (this.current === 'reconnecting' && !this.socket) this.open();
  };

  /** The uuid the server gave this session (recovery on), once its `session` packet arrived. */
  uuid: string | undefined;
  /** True when the last (re)connection resumed the previous session with nothing lost. */
  recovered = false;
  /** @internal Where channel packets go (`nestjs-kws/client/channels`); never to `on` handlers. */
  channelSink: ((packet: any) => void) | undefined;

  constructor(
    readonly url: string,
    private readonly options: KwsClientOptions = {},
  ) {
    if (!(options.WebSocket ?? (globalThis as any).WebSocket)) throw new TypeError(NO_WEBSOCKET);
    (globalThis as any).addEventListener?.('online', this.online);
    this.open();
  }

  /** `connecting`, `open`, `reconnecting` or `closed` (see `KwsClientState`). */
  get state(): KwsClientState {
    return this.current;
  }

  /** Calls `listener` on every state change; returns a function that stops it. */
  onState(listener: (change: KwsStateChange) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Calls `listener` with each `session` packet (recovery on); returns a function that stops it. */
  onSession(listener: (session: KwsSession) => void): () => void {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }

  /**
   * Calls `listener` with what went wrong without a caller to tell: a packet from the server that
   * breaks the protocol (`code: 'protocol'`), a handler that threw or rejected (`'handler'`), an
   * acknowledgement that could not be encoded. Nothing the server sends makes the client throw.
   * Without a listener they go to `console.error`. Returns a function that stops it.
   */
  onError(listener: (error: KwsClientError) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /**
   * Handles a server event. When the server `request`s it, the first handler's return value (or
   * resolved promise) is the acknowledgement and a throw is an error ack (`status` of the error, or 500).
   * `'message'` receives the frames that are not packets (binary frames as `ArrayBuffer`).
   */
  on<E extends KwsEventName<S>>(
    event: E,
    handler: (data: KwsEventData<S[E]>) => KwsEventReply<S[E]> | Promise<KwsEventReply<S[E]>>,
  ): this;
  on(event: 'message', handler: (raw: string | ArrayBuffer) => void): this;
  on(event: string, handler: Handler): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }

  /** Removes a handler given to `on`, or every handler of the event. */
  off(event: KwsEventName<S> | 'message', handler?: (...args: any[]) => unknown): this {
    const left = handler ? (this.handlers.get(event) ?? []).filter((h) => h !== handler) : [];
    this.handlers.set(event, left);
    return this;
  }

  /** Fires an event at the server (queued while offline; throws `KwsClientError` when it cannot). */
  emit<E extends KwsEventName<C>>(event: E, ...args: KwsEventArgs<C[E]>): void {
    const trace = traceFields(this.options.trace);
    this.push({ frame: JSON.stringify({ event, data: args[0], trace }) });
  }

  /**
   * Fires an event and resolves with the server's acknowledgement. Rejects with `KwsClientError`
   * on an error ack, a timeout, a lost connection (the server may have handled it) or a full queue.
   */
  request<E extends KwsEventName<C>>(
    event: E,
    ...[data, options]: KwsRequestArgs<C[E], KwsRequestOptions>
  ): Promise<KwsEventReply<C[E]>> {
    const id = (this.lastId = (this.lastId % 0x7ffffffe) + 1);
    const ms = options?.timeout ?? this.options.ackTimeout ?? this.options.timeout ?? 10_000;
    const retries = options?.retries ?? this.options.retries ?? 0;
    const trace = traceFields(this.options.trace);
    // `rid` (docs/protocol.md): the server answers a retry with the first run's answer.
    const frame = JSON.stringify(
      retries > 0 ? { event, data, id, rid: id, trace } : { event, data, id, trace },
    );
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        event,
        resolve: resolve as Pending['resolve'],
        reject,
        timer: setTimeout(() => this.timedOut(id, ms), ms),
        frame,
        retriesLeft: retries,
      };
      this.pending.set(id, pending);
      try {
        this.push({ frame, id });
      } catch (error) {
        this.settle(id, error as KwsClientError);
      }
    });
  }

  /** One try of a request ran out of time: the next try (same `rid`), or the timeout error. */
  private timedOut(id: number, ms: number): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    if (pending.retriesLeft > 0 && this.current !== 'closed') {
      pending.retriesLeft--;
      pending.timer = setTimeout(() => this.timedOut(id, ms), ms);
      // Still queued or waiting for the reconnect: it goes out then. Sent: send it again.
      if (pending.sent && this.current === 'open' && !this.awaitingSession) {
        this.push({ frame: pending.frame, id });
      }
      return;
    }
    this.queue = this.queue.filter((queued) => queued.id !== id);
    this.retrying = this.retrying.filter((retried) => retried !== id);
    this.settle(id, new KwsClientError(REQUEST_TIMEOUT(pending.event, ms), 'timeout', 408));
  }

  /** Sends a raw frame (text or binary), outside the packet protocol; queued while offline. */
  send(frame: KwsFrame): void {
    this.push({ frame });
  }

  /** Closes for good: no reconnect; pending and queued requests reject, `unsent` lists the rest. */
  close(code = 1000, reason?: string): void {
    const socket = this.socket;
    this.finish({ state: 'closed', code, reason });
    socket?.close(code, reason);
  }

  private open(): void {
    clearTimeout(this.timer);
    let protocols = this.options.protocols;
    if (this.token) {
      // Resume handshake (docs/protocol.md): the last token and offset let the server replay what
      // we missed. They travel as subprotocols, never in the URL (access logs keep URLs).
      const own = protocols === undefined ? [] : ([] as string[]).concat(protocols);
      protocols = [
        ...(own.length ? own : ['kws']),
        `kws-resume.${this.token}`,
        `kws-offset.${this.offset}`,
      ];
    }
    const WebSocketClass = this.options.WebSocket ?? (globalThis as any).WebSocket;
    const socket: KwsSocketLike = new WebSocketClass(this.url, protocols);
    this.socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      // Not `attempt = 0` here: a server that accepts and then sheds (1013) would get every
      // client back at the shortest delay, forever. The backoff starts over once the connection
      // proved stable, or once a resume succeeded.
      clearTimeout(this.stableTimer);
      this.stableTimer = setTimeout(() => (this.attempt = 0), this.options.stableAfter ?? 5_000);
      this.heardAt = performance.now();
      this.probedAt = 0;
      this.watchLiveness(socket);
      this.change({ state: 'open' });
      // Recovery on: whether a retry may go out depends on the session surviving.
      if (this.token && this.retrying.length > 0) this.awaitingSession = true;
      else this.flush();
    };
    socket.onmessage = (event: { data: string | ArrayBuffer }) => {
      if (socket !== this.socket) return;
      this.heardAt = performance.now();
      this.receive(event.data);
    };
    socket.onclose = (event: { code: number; reason: string }) => {
      if (socket === this.socket) this.lost(event.code, event.reason);
    };
    socket.onerror = () => undefined; // a close event follows with the code
  }

  /**
   * Checks the link at half the liveness timeout (a probe, if nothing came meanwhile) and at the
   * end of it (nothing came: the link is dead). One timer, rescheduled from the last frame heard.
   */
  private watchLiveness(socket: KwsSocketLike): void {
    const timeout = this.options.livenessTimeout ?? 30_000;
    if (timeout <= 0) return;
    clearTimeout(this.livenessTimer);
    const check = (): void => {
      if (socket !== this.socket) return;
      const now = performance.now();
      const idle = now - this.heardAt;
      if (idle >= timeout) {
        this.dropDeadLink(socket);
        return;
      }
      if (idle >= timeout / 2 && this.probedAt <= this.heardAt && socket.readyState === OPEN) {
        this.probedAt = now;
        this.lastId = (this.lastId % 0x7ffffffe) + 1;
        socket.send(JSON.stringify({ event: HEARTBEAT_EVENT, id: this.lastId }));
      }
      const next = this.probedAt > this.heardAt ? timeout : timeout / 2;
      this.livenessTimer = setTimeout(check, Math.max(1, this.heardAt + next - now));
    };
    // Until the first frame, the server may still be deciding (connect guards, a resume's probe
    // of the old socket): a new socket gets at least OPENING_GRACE before it counts as dead.
    this.heardAt += Math.max(0, OPENING_GRACE - timeout);
    this.livenessTimer = setTimeout(check, timeout / 2);
  }

  /**
   * Silence past `livenessTimeout`: the socket is given up without waiting for a close handshake
   * that may never come (ws's `terminate`; browsers send the 4000 close, which the server reads as
   * a network loss if it ever arrives: the session is suspended, not ended).
   */
  private dropDeadLink(socket: KwsSocketLike): void {
    const dropped = socket as KwsSocketLike & { terminate?: () => void };
    socket.onclose = socket.onmessage = socket.onopen = null;
    try {
      if (typeof dropped.terminate === 'function') dropped.terminate();
      else socket.close(LINK_LOST, LINK_LOST_REASON);
    } catch {
      // already closing
    }
    this.lost(LINK_LOST, LINK_LOST_REASON);
  }

  /** Sends what waited for the connection: requests to retry first (they went out first), then the queue. */
  private flush(): void {
    this.awaitingSession = false;
    const retrying = this.retrying;
    const queued = this.queue;
    this.retrying = [];
    this.queue = [];
    for (const id of retrying) {
      const pending = this.pending.get(id);
      if (pending) this.push({ frame: pending.frame, id });
    }
    for (const entry of queued) this.push(entry);
  }

  private lost(code: number, reason: string): void {
    this.socket = undefined;
    this.awaitingSession = false;
    clearTimeout(this.stableTimer);
    clearTimeout(this.livenessTimer);
    for (const [id, pending] of this.pending) {
      if (!pending.sent) continue;
      pending.sent = false;
      if (pending.retriesLeft > 0) {
        // Sent, unanswered: it may have run. With its `rid` the server answers a retry with
        // that first run's answer (a resumed session), or runs it if it never arrived.
        pending.retriesLeft--;
        if (!this.retrying.includes(id)) this.retrying.push(id);
      } else {
        this.settle(id, new KwsClientError(CONNECTION_LOST(pending.event), 'disconnected'));
      }
    }
    const maxAttempts = this.options.maxAttempts ?? Infinity;
    // 1008 and 4xxx are the server saying no (policy, auth): asking again would not help. (4000
    // with the liveness reason is this client's own verdict on a silent link.)
    const refused = code === 1008 || (code >= 4000 && code < 5000 && reason !== LINK_LOST_REASON);
    if (refused || this.attempt >= maxAttempts) {
      this.finish({ state: 'closed', code, reason });
      return;
    }
    const maxDelay = this.options.maxDelay ?? 10_000;
    // 1012 (restart) and 1013 (try again later) may say when: `{"retryAfter":ms}`. The jitter
    // comes on top, so a crowd told the same time does not come back in lockstep.
    const delay =
      retryAfterOf(reason, maxDelay) +
      backoffDelay(this.attempt++, this.options.minDelay ?? 250, maxDelay);
    this.change({ state: 'reconnecting', code, reason, attempt: this.attempt, delay });
    this.timer = setTimeout(() => this.open(), delay);
  }

  private finish(change: KwsStateChange): void {
    if (this.current === 'closed') return;
    clearTimeout(this.timer);
    clearTimeout(this.stableTimer);
    clearTimeout(this.livenessTimer);
    (globalThis as any).removeEventListener?.('online', this.online);
    this.socket = undefined;
    const unsent = this.queue.filter((queued) => !queued.id).map((queued) => queued.frame);
    this.queue = [];
    this.retrying = [];
    for (const [id] of this.pending) this.settle(id, new KwsClientError(CLIENT_CLOSED, 'closed'));
    this.change({ ...change, unsent });
  }

  private push(entry: Queued): void {
    if (this.current === 'closed') throw new KwsClientError(CLIENT_CLOSED, 'closed');
    if (this.current === 'open' && this.socket?.readyState === OPEN) {
      this.socket.send(entry.frame);
      const pending = entry.id && this.pending.get(entry.id);
      if (pending) pending.sent = true;
    } else if (this.queue.length < (this.options.queueSize ?? 100)) {
      this.queue.push(entry);
    } else {
      throw new KwsClientError(QUEUE_FULL(this.options.queueSize ?? 100), 'queue-full');
    }
  }

  /** A frame from the server, read as hostile: this runs in a socket callback and never throws. */
  private receive(data: string | ArrayBuffer): void {
    const packet = readServerFrame(data);
    if ('malformed' in packet) {
      this.report(new KwsClientError(MALFORMED_PACKET(packet.malformed), 'protocol'));
    } else if ('channel' in packet) {
      // Recovery numbers channel packets too: the resume offset must count them.
      if (packet.offset !== undefined) this.offset = packet.offset;
      this.channelSink?.(packet.packet);
    } else if ('session' in packet) {
      const { token, uuid, recovered } = packet.session;
      if (!recovered) this.offset = '';
      this.token = token;
      this.uuid = uuid;
      this.recovered = recovered;
      // The session survived: this link works end to end, the backoff starts over.
      if (recovered) this.attempt = 0;
      if (this.awaitingSession) {
        if (!recovered) {
          // A fresh session does not know what the old one ran: a retry could run it twice.
          for (const id of this.retrying) {
            const event = this.pending.get(id)?.event ?? '';
            this.settle(id, new KwsClientError(CONNECTION_LOST(event), 'disconnected'));
          }
          this.retrying = [];
        }
        this.flush();
      }
      for (const listener of this.sessionListeners) {
        this.run('session', () => listener({ uuid, recovered }));
      }
    } else if ('event' in packet) {
      if (packet.offset !== undefined) this.offset = packet.offset;
      const handlers = this.handlers.get(packet.event) ?? [];
      if (packet.id === undefined) {
        for (const handler of handlers) this.run(packet.event, () => handler(packet.data));
      } else {
        void this.answer(packet.id, packet.event, handlers, packet.data);
      }
    } else if ('ack' in packet) {
      const { error } = packet;
      this.settle(
        packet.ack,
        error ? new KwsClientError(error.message, 'ack', error.status) : undefined,
        packet.data,
      );
    } else {
      for (const handler of this.handlers.get('message') ?? [])
        this.run('message', () => handler(data));
    }
  }

  private async answer(id: number, event: string, handlers: Handler[], data: unknown) {
    let reply: string;
    try {
      if (!handlers[0]) throw Object.assign(new Error(NO_HANDLER(event)), { status: 404 });
      // Every handler runs; the first one's result is the answer, any throw an error answer.
      const results = handlers.map((handler, i) =>
        i ? this.run(event, () => handler(data)) : handler(data),
      );
      const value = await results[0];
      try {
        reply = JSON.stringify({ ack: id, data: value });
      } catch (error) {
        // What the handler returned cannot be encoded (a BigInt, a cycle): a 500, said here too.
        this.report(failure(UNENCODABLE_ANSWER(event), error));
        throw new Error(UNENCODABLE_ANSWER(event));
      }
    } catch (error: any) {
      // A throw is an answer (its message and status); a thrown string is the message.
      const body = readAckError(typeof error === 'string' ? { message: error } : error);
      reply = JSON.stringify({ ack: id, error: body });
    }
    // After a lost connection the server has already failed this request: nothing to answer.
    if (this.socket?.readyState === OPEN) this.socket.send(reply);
  }

  /** Runs an app callback: a throw or a rejection is reported, never thrown into the socket. */
  private run(what: string, call: () => unknown): unknown {
    try {
      const result: any = call();
      if (typeof result?.then === 'function') {
        result.then(undefined, (error: unknown) =>
          this.report(failure(HANDLER_FAILED(what), error)),
        );
      }
      return result;
    } catch (error) {
      this.report(failure(HANDLER_FAILED(what), error));
    }
  }

  /** An `onError` report; a listener that throws is only logged (no loop). */
  private report(error: KwsClientError): void {
    if (this.errorListeners.size === 0) console.error(error);
    for (const listener of this.errorListeners) {
      try {
        listener(error);
      } catch (thrown) {
        console.error(thrown);
      }
    }
  }

  private settle(id: number, error?: KwsClientError, data?: unknown): void {
    settlePending(this.pending, id, error, data);
  }

  private change(change: KwsStateChange): void {
    this.current = change.state;
    for (const listener of this.stateListeners) listener(change);
  }
}

/** A `'handler'` error saying what failed, with the app's own error as `cause`. */
function failure(message: string, cause: unknown): KwsClientError {
  const error = new KwsClientError(message, 'handler');
  (error as { cause?: unknown }).cause = cause;
  return error;
}
