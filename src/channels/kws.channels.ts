import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { KwsRedisBroker } from '../cluster/redis.broker.js';
import type { KwsBroker } from '../broker/kws-broker.interface.js';
import { KwsState, type Kws } from '../connection/kws.js';
import type { KwsContext } from '../connection/kws.context.js';
import { toOutbound } from '../connection/outbound.message.js';
import { toAckError } from '../events/ack-error.mapper.js';
import type { KwsEventPacket } from '../events/kws-packet.interface.js';
import { KwsError } from '../errors/kws.error.js';
import { KwsProtocolError } from '../errors/kws-protocol.error.js';
import type { KwsEventArgs, KwsEventName } from '../client/kws-events.types.js';
import { KwsEvent, MAX_EVENT_NAME_LENGTH } from '../kws.constants.js';
import {
  BAD_CHANNEL_NAME,
  BAD_HISTORY_QUERY,
  NO_HISTORY,
  JOIN_IN_PROGRESS,
  JOIN_REFUSED,
  MALFORMED_PACKET,
  NO_SUCH_CHANNEL,
  NOT_A_MEMBER,
  TOO_MANY_CHANNELS,
  UNKNOWN_EVENT,
} from '../kws.messages.js';
import { KWS_BROKER, KWS_CONTEXT, KWS_ENDPOINT_NAME } from '../kws.tokens.js';
import type { KwsMembershipChange } from '../server/connection.pool.js';
import { runChannelHandlers } from './channel-handler.runner.js';
import {
  CHANNEL_CONTROL_EVENTS,
  ChannelControl,
  KWS_CHANNEL_SETUP,
  channelOfRoom,
  channelRoom,
} from './channel.constants.js';
import { KwsChannelPayload } from './channel.payload.js';
import { KwsChannelRegistry } from './channel.registry.js';
import type { KwsChannelBounds, KwsChannelSetup } from './channels-options.validator.js';
import { ClusterPresenceSync } from './presence.cluster.js';
import { RedisHistoryStore } from './history.redis.js';
import {
  LocalHistoryStore,
  type KwsHistoryPage,
  type KwsHistoryQuery,
  type KwsHistoryStore,
} from './history.store.js';
import type { KwsChannelMap, KwsChannelServerEvents } from '../client/channel-map.types.js';
import { KwsPresence } from './kws.presence.js';
import type { KwsPresenceDiff } from './presence.types.js';

const MAX_ID = 2 ** 31 - 1;
/** How long a session moved to another node keeps its presence here until that node claims it. */
const HANDOVER_CLAIM_MS = 10_000;

/** Why a member left a channel, as `@OnKwsLeave` handlers see it (`data.reason`). */
export type KwsChannelLeaveReason = 'left' | 'removed' | 'disconnected';

/** Sends one channel's events, typed by its map: `channels.to<RoomChannel>('room:42').emit('msg', m)`. */
export interface KwsChannelEmitter<M extends KwsChannelMap> {
  /** Pushes an event to every member (every node in cluster mode), but `except` when given. */
  emit<E extends KwsEventName<KwsChannelServerEvents<M>>>(
    event: E,
    ...args: KwsEventArgs<KwsChannelServerEvents<M>[E]>
  ): Promise<string[]>;
}

/**
 * The channels of one endpoint: clients `join` them (authorized by `@OnKwsJoin`), send their
 * events (`@OnKwsChannelEvent`), and get what the server pushes with `to(channel).emit`. A
 * channel is the room `ch:<name>`: membership crosses nodes and survives a resumed session as
 * rooms do. Injectable wherever `KwsServer` is.
 */
@Injectable()
export class KwsChannels implements OnApplicationBootstrap, OnApplicationShutdown {
  /** Presence with metadata of this endpoint's channels. */
  readonly presence: KwsPresence;
  private readonly bounds: KwsChannelBounds;
  /** Channels whose join handler is running, per connection (they count toward the limit). */
  private readonly joining = new WeakMap<Kws, Set<string>>();
  /** The membership change this class is making itself (a client's own join or leave). */
  private own: { kws: Kws; channel: string } | undefined;
  /** Cluster mode: the same presence on every node. */
  private readonly sync: ClusterPresenceSync | undefined;
  private syncStarted: Promise<void> | undefined;
  /** Where channels with `history` keep their messages (a Redis stream per channel in a cluster). */
  private readonly historyStore: KwsHistoryStore;

  /** @internal Built by Nest's injector. */
  constructor(
    private readonly registry: KwsChannelRegistry,
    @Inject(KWS_CONTEXT) private readonly context: KwsContext,
    @Inject(KWS_BROKER) private readonly broker: KwsBroker,
    @Inject(KWS_ENDPOINT_NAME) private readonly endpoint: string,
    @Inject(KWS_CHANNEL_SETUP) setup: KwsChannelSetup,
  ) {
    this.bounds = setup.bounds;
    this.presence = new KwsPresence(
      {
        mayTrack: (kws, channel) =>
          this.isMember(kws, channel) || this.joining.get(kws)?.has(channel) === true,
        publish: (channel, diff) => this.publishDiff(channel, diff),
        pushLocal: (channel, diff) => this.pushLocal(channel, diff),
      },
      this.bounds.maxMetaBytes,
    );
    if (setup.cluster && broker instanceof KwsRedisBroker) {
      this.sync = new ClusterPresenceSync(setup.cluster, broker.nodeId, this.presence, endpoint);
      this.historyStore = new RedisHistoryStore(setup.cluster, endpoint);
    } else {
      this.historyStore = new LocalHistoryStore();
    }
    context.channels = this;
    context.pool.observeMembership((change, kws) => this.membershipChanged(change, kws));
  }

  /** Cluster mode: loads the other nodes' presence before the endpoint accepts sockets. */
  async onApplicationBootstrap(): Promise<void> {
    // An endpoint without join handlers shares presence only once it is used (no Redis keys,
    // connections or heartbeats for apps that do not use channels).
    if (this.registry.hasJoins(this.endpoint)) await this.startSync();
  }

  /** Cluster mode: starts sharing presence (once); what was tracked before goes on the first beat. */
  private startSync(): Promise<void> {
    this.syncStarted ??= this.sync ? this.sync.start() : Promise.resolve();
    return this.syncStarted;
  }

  /** Sockets are closed by now (beforeApplicationShutdown): this node's presence goes. */
  async onApplicationShutdown(): Promise<void> {
    this.presence.flush();
    if (this.syncStarted) {
      await this.syncStarted.catch(() => undefined);
      await this.sync?.stop();
    }
    await this.historyStore.stop?.();
  }

  /** A typed sender for one channel. */
  to<M extends KwsChannelMap = KwsChannelMap>(
    channel: string,
    options: { except?: string } = {},
  ): KwsChannelEmitter<M> {
    return {
      emit: (event, ...args) => this.broadcast(channel, event, args[0], options),
    };
  }

  /**
   * Pushes `{ channel, event, data }` to every member of the channel (but `except`). A channel
   * whose pattern keeps history keeps it first: the packet then carries its `seq`.
   */
  async broadcast(
    channel: string,
    event: string,
    data?: unknown,
    options: { except?: string } = {},
  ): Promise<string[]> {
    const history = this.registry.join(channel, this.endpoint)?.history;
    const seq = history ? await this.historyStore.append(channel, history, event, data) : undefined;
    const packet = seq === undefined ? { channel, event, data } : { channel, event, data, seq };
    const path = this.context.delivery.pathFor(packet);
    return path.broadcast(path.outbound(packet, undefined), options.except, channelRoom(channel));
  }

  /**
   * Subscribes a connection, wherever it lives, to a channel without a join handler (the server
   * decides); the client is told with a `kws:join` push and gets the presence state.
   */
  async subscribe(uuid: string, channel: string): Promise<void> {
    this.checkName(channel);
    await this.broker.join(uuid, [channelRoom(channel)]);
  }

  /**
   * Removes a connection, wherever it lives, from a channel (a kick); the client is told with a
   * `kws:kicked` push carrying `reason`, and `@OnKwsLeave` handlers run with reason 'removed'.
   */
  async unsubscribe(uuid: string, channel: string, reason = 'unsubscribed'): Promise<void> {
    this.checkName(channel);
    const local = this.context.pool.get(uuid);
    if (local && !this.isMember(local, channel)) return;
    const notice = { channel, event: ChannelControl.Kicked, data: { reason } };
    const path = this.context.delivery.pathFor(notice);
    await path.emitTo(uuid, path.outbound(notice, undefined)).catch(() => undefined);
    await this.broker.leave(uuid, [channelRoom(channel)]);
  }

  /**
   * The messages a channel kept (`history: { size, ttl }` on its `@OnKwsJoin`): the newest
   * `limit`, or those after `since` (with `complete: false` when some are gone). Cluster mode: a
   * Redis stream per channel, the same on every node.
   */
  history(channel: string, query: KwsHistoryQuery = {}): Promise<KwsHistoryPage> {
    const history = this.registry.join(channel, this.endpoint)?.history;
    if (!history) return Promise.reject(new KwsError(NO_HISTORY(channel)));
    return this.historyStore.read(channel, history, query);
  }

  /**
   * @internal Whether the endpoint uses channels: it has join handlers (the inspector shows its
   * channels then, or whenever a channel has members).
   */
  get inUse(): boolean {
    return this.registry.hasJoins(this.endpoint);
  }

  /** @internal How many messages a channel keeps; undefined when its pattern keeps no history. */
  async historySize(channel: string): Promise<number | undefined> {
    const history = this.registry.join(channel, this.endpoint)?.history;
    return history ? this.historyStore.size(channel, history) : undefined;
  }

  /** The uuids of a channel's members (every live node in cluster mode). */
  members(channel: string): Promise<string[]> {
    return this.broker.roomMembers(channelRoom(channel));
  }

  /** The channels a connection of this node is in. */
  channelsOf(kws: Kws): string[] {
    const channels: string[] = [];
    for (const room of kws.rooms()) {
      const channel = channelOfRoom(room);
      if (channel !== undefined) channels.push(channel);
    }
    return channels;
  }

  /** Whether a connection of this node is in a channel. */
  isMember(kws: Kws, channel: string): boolean {
    return kws.rooms().includes(channelRoom(channel));
  }

  /**
   * @internal A channel packet from a client (see KwsPacketRouter). Returns the handler's work
   * while it runs, so that the router counts it against `maxInFlight`.
   */
  receive(kws: Kws, packet: KwsEventPacket): Promise<void> | undefined {
    const { channel, event, data, id } = packet;
    if (id !== undefined && !(Number.isInteger(id) && id > 0 && id <= MAX_ID)) {
      this.protocolError(kws, packet, '"id" must be an integer from 1 to 2^31-1');
      return undefined;
    }
    if (
      typeof channel !== 'string' ||
      channel.length === 0 ||
      channel.length > this.bounds.maxNameLength
    ) {
      this.refuse(
        kws,
        id,
        typeof channel === 'string' ? channel : '',
        400,
        BAD_CHANNEL_NAME(this.bounds.maxNameLength),
      );
      return undefined;
    }
    switch (event) {
      case ChannelControl.Join:
        return this.join(kws, channel, data, id);
      case ChannelControl.Leave:
        this.leave(kws, channel, id);
        return undefined;
      case ChannelControl.History:
        return this.readHistory(kws, channel, data, id);
      default:
        return this.onEvent(kws, channel, event, data, id);
    }
  }

  private async join(
    kws: Kws,
    channel: string,
    params: unknown,
    id: number | undefined,
  ): Promise<void> {
    const entry = this.registry.join(channel, this.endpoint);
    if (!entry) return this.refuse(kws, id, channel, 404, NO_SUCH_CHANNEL(channel));
    let inFlight = this.joining.get(kws);
    if (inFlight?.has(channel))
      return this.refuse(kws, id, channel, 409, JOIN_IN_PROGRESS(channel));
    const member = this.isMember(kws, channel);
    if (
      !member &&
      this.channelsOf(kws).length + (inFlight?.size ?? 0) >= this.bounds.maxPerConnection
    ) {
      return this.refuse(kws, id, channel, 429, TOO_MANY_CHANNELS(this.bounds.maxPerConnection));
    }
    if (!inFlight) this.joining.set(kws, (inFlight = new Set()));
    inFlight.add(channel);
    const payload = new KwsChannelPayload(kws, ChannelControl.Join, channel, params, id);
    const outcome = await runChannelHandlers([entry.listener], payload);
    inFlight.delete(channel);
    const refused =
      outcome.error !== undefined
        ? toAckError(outcome.error)
        : outcome.value === false
          ? { message: JOIN_REFUSED, status: 403 }
          : undefined;
    // Gone (or suspended) while the handler ran: nobody is there to answer.
    if (refused || kws.state !== KwsState.Connected) {
      if (!this.isMember(kws, channel)) this.presence.untrack(kws, channel);
      if (refused) this.answer(kws, id, { channel, ack: id!, error: refused });
      return;
    }
    this.admit(kws, channel);
    const reply = outcome.value === true ? undefined : outcome.value;
    this.answer(
      kws,
      id,
      reply === undefined ? { channel, ack: id! } : { channel, ack: id!, data: reply },
    );
    this.pushState(kws, channel);
  }

  private async readHistory(
    kws: Kws,
    channel: string,
    query: unknown,
    id: number | undefined,
  ): Promise<void> {
    if (!this.isMember(kws, channel))
      return this.refuse(kws, id, channel, 403, NOT_A_MEMBER(channel));
    const { limit, since } = (query ?? {}) as KwsHistoryQuery;
    if (
      (typeof query !== 'object' && query !== undefined) ||
      (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 1000)) ||
      (since !== undefined && !(typeof since === 'string' && since.length <= 200))
    ) {
      return this.refuse(kws, id, channel, 400, BAD_HISTORY_QUERY);
    }
    try {
      const page = await this.history(channel, { limit, since });
      this.answer(kws, id, { channel, ack: id!, data: page });
    } catch (error) {
      const status = error instanceof KwsError && !(error instanceof KwsProtocolError) ? 404 : 500;
      const message = status === 404 ? NO_HISTORY(channel) : 'Internal error';
      this.refuse(kws, id, channel, status, message);
    }
  }

  private admit(kws: Kws, channel: string): void {
    // Diffs pending for the channel go to its members before the joiner is one: its state is next.
    this.presence.flush(channel);
    this.own = { kws, channel };
    try {
      kws.join(channelRoom(channel));
    } finally {
      this.own = undefined;
    }
  }

  private leave(kws: Kws, channel: string, id: number | undefined): void {
    if (this.isMember(kws, channel)) {
      this.own = { kws, channel };
      try {
        kws.leave(channelRoom(channel));
      } finally {
        this.own = undefined;
      }
    }
    this.answer(kws, id, { channel, ack: id! });
  }

  private async onEvent(
    kws: Kws,
    channel: string,
    event: unknown,
    data: unknown,
    id: number | undefined,
  ): Promise<void> {
    if (typeof event !== 'string' || event.length === 0 || event.length > MAX_EVENT_NAME_LENGTH) {
      return this.refuse(kws, id, channel, 400, 'Bad event name');
    }
    if (CHANNEL_CONTROL_EVENTS.has(event)) return this.refuse(kws, id, channel, 404, UNKNOWN_EVENT);
    if (!this.isMember(kws, channel))
      return this.refuse(kws, id, channel, 403, NOT_A_MEMBER(channel));
    const listeners = this.registry.event(channel, event, this.endpoint);
    if (listeners.length === 0) return this.refuse(kws, id, channel, 404, UNKNOWN_EVENT);
    const outcome = await runChannelHandlers(
      listeners,
      new KwsChannelPayload(kws, event, channel, data, id),
    );
    if (id === undefined) return;
    if (outcome.error !== undefined) {
      this.answer(kws, id, { channel, ack: id, error: toAckError(outcome.error) });
    } else {
      this.answer(
        kws,
        id,
        outcome.value === undefined
          ? { channel, ack: id }
          : { channel, ack: id, data: outcome.value },
      );
    }
  }

  /** The pool's hook: every change of a connection's rooms, whoever made it. */
  private membershipChanged(change: KwsMembershipChange, kws: Kws): void {
    const channel = channelOfRoom(change.room);
    if (channel === undefined || change.reason === 'renamed') return;
    const own = this.own?.kws === kws && this.own.channel === channel;
    if (change.type === 'join') {
      // A resume restores its rooms while opening: the client still has its channels. A session
      // moved from another node takes its presence along, with no diff (docs/channels.md).
      if (kws.state === KwsState.Opening) {
        if (this.sync && kws.hasConnected) this.sync.publishMove(this.presence.claim(kws, channel));
        return;
      }
      if (own) return;
      this.presence.flush(channel);
      kws.sendPacket({ channel, event: ChannelControl.Join, data: {} });
      this.pushState(kws, channel);
      return;
    }
    if (change.reason === 'disconnected' && this.handedOver(kws)) {
      // Not an end: another node resumed the session and claims its entries (or they go later).
      this.presence.park(kws, channel, HANDOVER_CLAIM_MS);
      return;
    }
    this.presence.untrack(kws, channel);
    const reason: KwsChannelLeaveReason =
      change.reason === 'disconnected' ? 'disconnected' : own ? 'left' : 'removed';
    const listeners = this.registry.leave(channel, this.endpoint);
    if (listeners.length > 0) {
      void runChannelHandlers(
        listeners,
        new KwsChannelPayload(kws, ChannelControl.Leave, channel, { reason }),
      );
    }
  }

  /**
   * @internal A suspended session resumes, here or moved from another node (recovery). Cluster
   * mode: the presence diffs of its channels are not numbered (the log does not carry them), so
   * those sent while it was away are lost; it gets each channel's state again, held while the
   * resume's checks run, so it follows the replay and precedes the diffs sent meanwhile. The
   * other members see nothing. One node: the diffs it missed are in the replay.
   */
  resuming(kws: Kws): void {
    if (!this.sync) return;
    for (const channel of this.channelsOf(kws)) {
      this.presence.flush(channel);
      this.pushState(kws, channel);
    }
  }

  /** Recovery: the session left this node for another one (see KwsSessionRecovery.moved). */
  private handedOver(kws: Kws): boolean {
    return (
      this.sync !== undefined && this.context.recovery !== undefined && kws.session === undefined
    );
  }

  private pushState(kws: Kws, channel: string): void {
    kws.sendPacket({
      channel,
      event: ChannelControl.PresenceState,
      data: this.presence.list(channel),
    });
  }

  private publishDiff(channel: string, diff: KwsPresenceDiff<object>): void {
    if (!this.sync) {
      // Not through `broadcast`: a presence diff is never kept in the channel's history.
      const packet = { channel, event: ChannelControl.PresenceDiff, data: diff };
      const path = this.context.delivery.pathFor(packet);
      const message = path.outbound(packet, undefined);
      void path.broadcast(message, undefined, channelRoom(channel)).catch(() => undefined);
      return;
    }
    // Cluster mode: this node's members now, the other nodes through ONE message per batch, each
    // of which updates its replica and pushes the diff to its own members.
    this.pushLocal(channel, diff);
    this.startSync().catch(() => undefined);
    this.sync.publish({
      c: channel,
      j: Object.entries(diff.joins).flatMap(([key, { metas }]) =>
        metas.map(
          (meta) =>
            [key, meta, this.presence.uuidOf(channel, key, meta.kws_ref)] as [
              string,
              typeof meta,
              string,
            ],
        ),
      ),
      l: Object.entries(diff.leaves).flatMap(([key, { metas }]) =>
        metas.map((meta) => [key, meta.kws_ref] as [string, string]),
      ),
    });
  }

  /** A diff to this node's members of the channel only (not numbered for recovery). */
  private pushLocal(channel: string, diff: KwsPresenceDiff<object>): void {
    const packet = toOutbound(
      { channel, event: ChannelControl.PresenceDiff, data: diff },
      undefined,
      this.context.parser,
    );
    this.context.pool.broadcast(packet, undefined, channelRoom(channel));
  }

  private refuse(
    kws: Kws,
    id: number | undefined,
    channel: string,
    status: number,
    message: string,
  ): void {
    this.answer(kws, id, { channel, ack: id!, error: { message, status } });
  }

  private answer(kws: Kws, id: number | undefined, packet: Parameters<Kws['sendPacket']>[0]): void {
    if (id === undefined) return;
    try {
      kws.sendPacket(packet);
    } catch (error) {
      // The parser could not encode what a handler returned (a cycle, a BigInt...).
      kws.sendPacket({
        channel: (packet as { channel: string }).channel,
        ack: id,
        error: toAckError(error),
      });
      kws.context.dispatcher.dispatch(kws, KwsEvent.Error, undefined, false, error as Error);
    }
  }

  private protocolError(kws: Kws, packet: KwsEventPacket, why: string): void {
    let raw: Buffer;
    try {
      raw = Buffer.from(JSON.stringify(packet));
    } catch {
      raw = Buffer.alloc(0); // a custom parser's packet JSON cannot write (a BigInt...)
    }
    this.context.dispatcher.dispatch(
      kws,
      KwsEvent.Error,
      raw,
      false,
      new KwsProtocolError(MALFORMED_PACKET(why)),
    );
  }

  private checkName(channel: string): void {
    if (
      typeof channel !== 'string' ||
      channel.length === 0 ||
      channel.length > this.bounds.maxNameLength
    ) {
      throw new KwsError(BAD_CHANNEL_NAME(this.bounds.maxNameLength));
    }
  }
}
