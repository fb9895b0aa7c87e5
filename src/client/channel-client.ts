import type { KwsChannelMap, KwsChannelParams } from './channel-map.types.js';
import { KwsChannel, type KwsChannelLink } from './channel.js';
import { KwsClientError } from './kws-client.error.js';
import { CONNECTION_LOST, REQUEST_TIMEOUT } from './kws-client.messages.js';
import type { KwsClient } from './kws.client.js';
import { settlePending, type KwsPendingAck } from './pending.acks.js';

/** Options of `KwsChannelClient`. */
export interface KwsChannelClientOptions {
  /** Milliseconds to wait for a join, leave or request acknowledgement. Default 10 s. */
  timeout?: number;
}

/**
 * The channels of one `KwsClient`, multiplexed on its socket (`nestjs-kws/client/channels`, kept
 * apart so the core client stays small). `join` returns the channel at once; after a reconnect
 * the channels are joined again only when the session is fresh: a resumed session (recovery on,
 * `recovered: true`) still has them on the server.
 */
export class KwsChannelClient {
  private readonly channels = new Map<string, KwsChannel<any>>();
  private readonly pending = new Map<number, KwsPendingAck>();
  private readonly subscribers = new Set<(channel: KwsChannel<any>) => void>();
  private lastId = 0;
  private opens = 0;
  private sessions = 0;

  constructor(
    readonly client: KwsClient<any, any>,
    private readonly options: KwsChannelClientOptions = {},
  ) {
    client.channelSink = (packet) => this.receive(packet);
    if (client.state === 'open') this.opens = 1;
    client.onState(({ state }) => {
      if (state === 'reconnecting' || state === 'closed') this.lost(state === 'closed');
      // Recovery off: every new connection is a fresh session.
      else if (state === 'open' && ++this.opens > 1 && client.uuid === undefined) this.rejoin();
    });
    client.onSession(({ recovered }) => {
      if (++this.sessions > 1 && !recovered) this.rejoin();
    });
  }

  /**
   * Joins a channel (or returns the one already joined or joining): `await channel.joined` for
   * the reply of the server's `@OnKwsJoin` handler, or its refusal.
   */
  join<M extends KwsChannelMap = KwsChannelMap>(
    name: string,
    params?: KwsChannelParams<M>,
  ): KwsChannel<M> {
    const existing = this.channels.get(name);
    if (existing && existing.state !== 'closed') return existing as KwsChannel<M>;
    const channel = new KwsChannel<M>(name, params, this.link, this.options.timeout);
    this.channels.set(name, channel);
    return channel;
  }

  /** A channel joined or joining, by name. */
  get<M extends KwsChannelMap = KwsChannelMap>(name: string): KwsChannel<M> | undefined {
    return this.channels.get(name) as KwsChannel<M> | undefined;
  }

  /** Calls `listener` with each channel the server subscribed this client to (`KwsChannels.subscribe`). */
  onSubscribe(listener: (channel: KwsChannel<any>) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  private readonly link: KwsChannelLink = {
    request: (channel, event, data, timeout) => this.request(channel, event, data, timeout),
    send: (channel, event, data) => this.client.send(JSON.stringify({ channel, event, data })),
    forget: (channel) => this.channels.delete(channel),
  };

  private request(
    channel: string,
    event: string,
    data: unknown,
    timeout?: number,
  ): Promise<unknown> {
    const id = (this.lastId = (this.lastId % 0x7ffffffe) + 1);
    const ms = timeout ?? this.options.timeout ?? 10_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.settle(id, new KwsClientError(REQUEST_TIMEOUT(event, ms), 'timeout', 408)),
        ms,
      );
      this.pending.set(id, { event, resolve, reject, timer, sent: this.client.state === 'open' });
      try {
        this.client.send(JSON.stringify({ channel, event, data, id }));
      } catch (error) {
        this.settle(id, error as KwsClientError);
      }
    });
  }

  private receive(packet: any): void {
    if (typeof packet.ack === 'number') {
      const { error } = packet;
      this.settle(
        packet.ack,
        error
          ? new KwsClientError(String(error.message), 'ack', Number(error.status) || 500)
          : undefined,
        packet.data,
      );
      return;
    }
    if (typeof packet.event !== 'string') return;
    let channel = this.channels.get(packet.channel);
    if (!channel && packet.event === 'kws:join') {
      // The server subscribed this client (no join of its own): the channel is joined already.
      channel = new KwsChannel(packet.channel, undefined, this.link, this.options.timeout);
      channel.joined.catch(() => undefined);
      this.channels.set(packet.channel, channel);
      channel.receive('kws:join', undefined);
      for (const listener of this.subscribers) listener(channel);
      return;
    }
    channel?.receive(packet.event, packet.data, packet.seq);
  }

  private rejoin(): void {
    for (const channel of this.channels.values()) channel.rejoin();
  }

  /** The socket is gone: what was written to it will never be answered. */
  private lost(closed: boolean): void {
    for (const [id, pending] of this.pending) {
      if (closed || pending.sent) {
        this.settle(
          id,
          new KwsClientError(CONNECTION_LOST(pending.event), closed ? 'closed' : 'disconnected'),
        );
      }
    }
  }

  private settle(id: number, error?: KwsClientError, data?: unknown): void {
    settlePending(this.pending, id, error, data);
  }
}
