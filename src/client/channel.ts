import type {
  KwsChannelMap,
  KwsChannelClientEvents,
  KwsChannelParams,
  KwsChannelReply,
  KwsChannelServerEvents,
} from './channel-map.types.js';
import { KwsChannelPresence } from './channel-presence.js';
import { KwsClientError } from './kws-client.error.js';
import { CHANNEL_CLOSED } from './kws-client.messages.js';
import type { KwsRequestOptions } from './kws-client.options.js';
import type {
  KwsEventArgs,
  KwsEventData,
  KwsEventName,
  KwsEventReply,
  KwsRequestArgs,
} from './kws-events.types.js';

/** `joining` until the server accepts, `joined`, then `closed` (left, kicked, refused). */
export type KwsChannelState = 'joining' | 'joined' | 'closed';

/** Why a channel closed: `left` (its own `leave`), `kicked` (with the server's reason), `refused`. */
export interface KwsChannelClose {
  reason: 'left' | 'kicked' | 'refused';
  /** The server's reason for a kick, or its error for a refused (re)join. */
  detail?: string;
}

/** One kept message of a channel (see `history`). */
export interface KwsChannelHistoryMessage {
  seq: string;
  event: string;
  data: any;
}

/** What `history` resolves with. */
export interface KwsChannelHistoryPage {
  messages: KwsChannelHistoryMessage[];
  /** With `since`: false when messages after it are gone (reload what you show). */
  complete: boolean;
  /** The newest kept position ('' when none). */
  seq: string;
}

/** After a rejoin on a fresh session: whether what was missed meanwhile could be delivered. */
export interface KwsChannelRecovery {
  complete: boolean;
  /** How many missed messages were delivered to the handlers. */
  missed: number;
}

/** @internal What a channel needs from the client that multiplexes it. */
export interface KwsChannelLink {
  request(channel: string, event: string, data: unknown, timeout?: number): Promise<unknown>;
  send(channel: string, event: string, data: unknown): void;
  forget(channel: string): void;
}

type Handler = (data: any) => void;

/**
 * One channel of a client (`channels.join(name, params)`): its events, requests, presence and
 * history, multiplexed on the client's socket. `joined` settles with the join handler's reply,
 * or rejects with its refusal (`KwsClientError` with the server's message and status).
 */
export class KwsChannel<M extends KwsChannelMap = KwsChannelMap> {
  private current: KwsChannelState = 'joining';
  private readonly handlers = new Map<string, Handler[]>();
  private readonly closers = new Set<(close: KwsChannelClose) => void>();
  private readonly recoveries = new Set<(recovery: KwsChannelRecovery) => void>();
  /** The position of the last kept message received: where a rejoin recovers from. */
  private lastSeq: string | undefined;
  /**
   * Sends made while the channel (re)joins: they go out in order once the server accepted the
   * join (an event sent before would reach a server that does not count this client a member yet),
   * and fail when the channel closes instead.
   */
  private readonly waiting: Array<{ send: () => void; fail: (error: KwsClientError) => void }> = [];
  /** While a rejoin recovers: live messages wait here, behind the missed ones. */
  private buffered: [string, any, string | undefined][] | undefined;
  /** The presence of this channel, kept up to date by the server's pushes. */
  readonly presence = new KwsChannelPresence();
  /** Settles with the join's reply; rejects with the refusal. */
  joined: Promise<KwsChannelReply<M>>;

  /** @internal */
  constructor(
    readonly name: string,
    /** The join params, sent again when the client rejoins on a fresh session. */
    readonly params: KwsChannelParams<M> | undefined,
    private readonly link: KwsChannelLink,
    private readonly timeout?: number,
  ) {
    this.joined = this.join();
  }

  get state(): KwsChannelState {
    return this.current;
  }

  /** Handles an event the server pushes on this channel. */
  on<E extends KwsEventName<KwsChannelServerEvents<M>>>(
    event: E,
    handler: (data: KwsEventData<KwsChannelServerEvents<M>[E]>) => void,
  ): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }

  /** Removes a handler, or every handler of the event. */
  off(event: KwsEventName<KwsChannelServerEvents<M>>, handler?: (...args: any[]) => unknown): this {
    this.handlers.set(
      event,
      handler ? (this.handlers.get(event) ?? []).filter((h) => h !== handler) : [],
    );
    return this;
  }

  /** Calls `listener` once when the channel closes (left, kicked, or a rejoin refused). */
  onClose(listener: (close: KwsChannelClose) => void): () => void {
    this.closers.add(listener);
    return () => this.closers.delete(listener);
  }

  /**
   * Calls `listener` after each rejoin on a fresh session of a channel with history: the messages
   * missed meanwhile were delivered (in order, before live ones), or `complete: false` when some
   * were gone (reload what you show).
   */
  onRecover(listener: (recovery: KwsChannelRecovery) => void): () => void {
    this.recoveries.add(listener);
    return () => this.recoveries.delete(listener);
  }

  /**
   * Reads the channel's kept messages (members only): the newest `limit`, or those after `since`.
   * Asked while the channel (re)joins, it goes out once joined.
   */
  history(query: { limit?: number; since?: string } = {}): Promise<KwsChannelHistoryPage> {
    return this.whenJoined(() =>
      this.link.request(this.name, 'kws:history', query, this.timeout),
    ) as Promise<KwsChannelHistoryPage>;
  }

  /**
   * Sends an event to the channel's server handlers (throws `KwsClientError` once closed). Sent
   * while the channel (re)joins, it goes out once joined, in order.
   */
  emit<E extends KwsEventName<KwsChannelClientEvents<M>>>(
    event: E,
    ...args: KwsEventArgs<KwsChannelClientEvents<M>[E]>
  ): void {
    if (this.current === 'closed') throw new KwsClientError(CHANNEL_CLOSED(this.name), 'closed');
    if (this.current === 'joined') return this.link.send(this.name, event, args[0]);
    // Failed only by the channel's close, which its onClose listeners hear about.
    this.whenJoined(() => this.link.send(this.name, event, args[0])).catch(() => undefined);
  }

  /** Sends an event and resolves with the handler's acknowledgement. */
  request<E extends KwsEventName<KwsChannelClientEvents<M>>>(
    event: E,
    ...[data, options]: KwsRequestArgs<KwsChannelClientEvents<M>[E], KwsRequestOptions>
  ): Promise<KwsEventReply<KwsChannelClientEvents<M>[E]>> {
    return this.whenJoined(() =>
      this.link.request(this.name, event, data, options?.timeout ?? this.timeout),
    ) as Promise<KwsEventReply<KwsChannelClientEvents<M>[E]>>;
  }

  /** Leaves the channel; resolves once the server confirmed. */
  async leave(): Promise<void> {
    if (this.current === 'closed') return;
    this.close({ reason: 'left' });
    await this.link.request(this.name, 'kws:leave', undefined, this.timeout);
  }

  /** @internal A packet of this channel from the server. */
  receive(event: string, data: any, seq?: string): void {
    if (event === 'kws:presence_state') this.presence.syncState(data);
    else if (event === 'kws:presence_diff') this.presence.syncDiff(data);
    else if (event === 'kws:kicked') this.close({ reason: 'kicked', detail: data?.reason });
    else if (event === 'kws:join') this.accepted();
    else if (this.buffered) this.buffered.push([event, data, seq]);
    else this.deliver(event, data, seq);
  }

  private deliver(event: string, data: any, seq: string | undefined): void {
    if (typeof seq === 'string') this.lastSeq = seq;
    for (const handler of this.handlers.get(event) ?? []) handler(data);
  }

  /** Delivers what was missed since `since` (from the history), then what arrived meanwhile. */
  private async recover(since: string): Promise<void> {
    let page: KwsChannelHistoryPage;
    try {
      page = (await this.link.request(
        this.name,
        'kws:history',
        { since, limit: 1000 },
        this.timeout,
      )) as KwsChannelHistoryPage;
    } catch {
      page = { messages: [], complete: false, seq: '' };
    }
    const seen = new Set<string>();
    for (const message of page.messages) {
      seen.add(message.seq);
      this.deliver(message.event, message.data, message.seq);
    }
    const live = this.buffered ?? [];
    this.buffered = undefined;
    for (const [event, data, seq] of live)
      if (seq === undefined || !seen.has(seq)) this.deliver(event, data, seq);
    for (const listener of this.recoveries)
      listener({ complete: page.complete, missed: page.messages.length });
  }

  /** @internal The session is fresh (the server forgot this channel): join again. */
  rejoin(): void {
    if (this.current === 'closed') return;
    this.current = 'joining';
    this.presence.clear();
    const since = this.lastSeq;
    if (since !== undefined) this.buffered = [];
    this.join().then(
      () => (since === undefined ? undefined : this.recover(since)),
      () => {
        this.buffered = undefined;
      },
    );
  }

  private join(): Promise<KwsChannelReply<M>> {
    const joining = this.link.request(this.name, 'kws:join', this.params, this.timeout).then(
      (reply) => {
        this.accepted();
        return reply as KwsChannelReply<M>;
      },
      (error: KwsClientError) => {
        // A refusal is final; a lost connection leaves the channel to the next fresh session.
        if (error.code === 'ack') this.close({ reason: 'refused', detail: error.message });
        throw error;
      },
    );
    joining.catch(() => undefined);
    return joining;
  }

  private close(close: KwsChannelClose): void {
    if (this.current === 'closed') return;
    this.current = 'closed';
    this.link.forget(this.name);
    const error = new KwsClientError(CHANNEL_CLOSED(this.name), 'closed');
    for (const { fail } of this.waiting.splice(0)) fail(error);
    for (const listener of this.closers) listener(close);
  }

  /** The server accepted the (re)join: what was sent meanwhile goes out, in order. */
  private accepted(): void {
    if (this.current !== 'joining') return;
    this.current = 'joined';
    for (const { send } of this.waiting.splice(0)) send();
  }

  /** Runs `send` now if joined, once joined if joining; rejects once closed. */
  private whenJoined<T>(send: () => T | Promise<T>): Promise<T> {
    if (this.current === 'closed') {
      return Promise.reject(new KwsClientError(CHANNEL_CLOSED(this.name), 'closed'));
    }
    if (this.current === 'joined') {
      try {
        return Promise.resolve(send());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        send: () => {
          try {
            resolve(send());
          } catch (error) {
            reject(error);
          }
        },
        fail: reject,
      });
    });
  }
}
