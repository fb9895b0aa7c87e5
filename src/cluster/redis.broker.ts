import { Logger } from '@nestjs/common';
import type { KwsEventPacket } from '../events/kws-packet.interface.js';
import { CLUSTER_REDIS_REQUIRED, CLUSTER_STARTS_WITHOUT_REDIS } from '../kws.messages.js';
import { redisLocation } from './redis.connections.js';
import { KwsError } from '../errors/kws.error.js';
import { randomUUID } from 'node:crypto';
import type { KwsOutbound } from '../connection/outbound.message.js';
import { describeKws, type KwsConnectionDescription } from '../connection/kws.description.js';
import { KwsAckError } from '../errors/kws-ack.error.js';
import { KwsTimeoutError } from '../errors/kws-timeout.error.js';
import { KwsBroadcastIncompleteError } from '../errors/kws-broadcast-incomplete.error.js';
import { KwsClusterUnavailableError } from '../errors/kws-cluster-unavailable.error.js';
import { KwsInvalidConnectionError } from '../errors/kws-invalid-connection.error.js';
import { KwsMessageDroppedError } from '../errors/kws-message-dropped.error.js';
import { KwsOutcomeUnknownError } from '../errors/kws-outcome-unknown.error.js';
import { KwsUUIDDuplicationError } from '../errors/kws-uuid-duplication.error.js';
import type { KwsBroker, KwsBrokerFactory } from '../broker/kws-broker.interface.js';
import type { KwsConnectionPool, KwsMembershipChange } from '../server/connection.pool.js';
import { PresenceListeners, type KwsPresenceListener } from '../broker/presence.js';
import { ClusterInbox } from './cluster.inbox.js';
import { ClusterMembership } from './cluster.membership.js';
import type { KwsClusterStats } from './cluster-stats.interface.js';
import { validateClusterOptions } from './cluster-options.validator.js';
import { REDIS_CLUSTER_SHARDS, type ConnectionDirectory } from './connection.directory.js';
import { readScanPage, scanPosition } from './directory.pages.js';
import type { KwsPage } from '../broker/kws-page.interface.js';
import { walkTag } from '../broker/page.cursor.js';
import { CommandOutcomeUnknown } from './in-flight.commands.js';
import {
  ClusterMessageType,
  ReplyStatus,
  type ClusterMessage,
  type ClusterRequest,
  type Sequenced,
} from './messages/cluster-message.js';
import { PublishSequencer, publishStream } from './publish.sequencer.js';
import type { KwsClusterGap } from './gap.detector.js';
import { encodeClusterMessage } from './messages/cluster-message.codec.js';
import {
  DEFAULT_REQUEST_TIMEOUT,
  type KwsClusterOptions,
} from './kws-cluster-options.interface.js';
import { PendingRequests, type NodeReply } from './pending-requests.registry.js';
import type { KwsClusterSnapshot } from '../metrics/kws-stats.interface.js';
import { RedisRecoveryStore } from './recovery/redis-recovery.store.js';
import type { KwsSessionRecovery } from '../recovery/session.recovery.js';
import type { KwsRecoveryLog } from '../recovery/recovery-store.interface.js';
import type { KwsParser } from '../events/kws-packet.interface.js';
import { readAckError } from '../events/ack-error.reader.js';
import { KwsEncodeError } from '../errors/kws-encode.error.js';
import { ENCODE_FAILED } from '../kws.messages.js';

const logger = new Logger('KwsModule');

/**
 * The cluster twin of `LocalKwsBroker`: every node of the app shares one Redis. Local targets are
 * served from the local pool without Redis; a broadcast, fire or closeAll is delivered locally
 * and published once for the other nodes; a message to a remote uuid goes to the node that holds
 * it and waits for its answer. Enabled with `KwsModule.forRoot({ cluster: { redis } })`.
 *
 * Errors tell apart what a caller must handle differently: `KwsInvalidConnectionError` (no live
 * connection with that uuid), `KwsMessageDroppedError` (live, but this message was not delivered),
 * `KwsOutcomeUnknownError` (sent, no answer: maybe delivered, never re-sent),
 * `KwsClusterUnavailableError` (not sent: Redis unreachable) and `KwsBroadcastIncompleteError`
 * (published, but some live node was not listening).
 */
export class KwsRedisBroker implements KwsBroker {
  /** This process's id in the cluster (random per start). */
  readonly nodeId = randomUUID();
  private readonly pending: PendingRequests;
  private readonly requestTimeout: number;
  private readonly membership: ClusterMembership;
  private readonly inbox: ClusterInbox;
  private readonly presence = new PresenceListeners();
  private readonly roomChannels: boolean;
  /** The membership changes mirrored so far (they are sent one after the other). */
  private mirrored: Promise<void> = Promise.resolve();
  /** Parks in flight (handed-over sessions' rooms): the goodbye waits for them (see `stop`). */
  private readonly parking = new Set<Promise<void>>();
  /** Numbers broadcasts, fire and closeAll per channel, so receivers can find gaps. */
  private readonly sequencer = new PublishSequencer();
  /** Recovery on: sessions and the log of recoverable messages (see `enableRecovery`). */
  private recoveryStore: RedisRecoveryStore | undefined;

  constructor(
    private readonly pool: KwsConnectionPool,
    private readonly options: KwsClusterOptions,
  ) {
    validateClusterOptions(options);
    const requestTimeout = options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT;
    this.requestTimeout = requestTimeout;
    this.roomChannels = options.roomChannels ?? true;
    this.pending = new PendingRequests(requestTimeout);
    this.membership = new ClusterMembership(
      pool,
      options,
      this.nodeId,
      requestTimeout,
      (message) => this.inbox.receive(message),
      this.presence,
    );
    pool.onMembership((change) => this.mirror(change));
    const membership = this.membership;
    this.inbox = new ClusterInbox(pool, membership, this.pending, {
      nodeLeft: (node) => membership.nodeLeft(node),
      unreadable: () => membership.stats.unreadableMessages++,
      // Room broadcasts are numbered on the room's channel when there is one (see `number`).
      numbered: (message, room) =>
        membership.received(message, publishStream(this.roomChannels ? room : undefined)),
    });
  }

  /** A broker factory for the `broker` module option. */
  static factory(options: KwsClusterOptions): KwsBrokerFactory {
    return (pool) => new KwsRedisBroker(pool, options);
  }

  /** What went wrong on this node so far (subscription losses, unreadable messages, rejoins). */
  get stats(): Readonly<KwsClusterStats> {
    return this.membership.stats;
  }

  /**
   * @internal Connection-state recovery across nodes: sessions and messages in Redis. Returns the
   * sends of the log, which the endpoint's delivery uses for named events (see KwsLogDelivery).
   */
  enableRecovery(recovery: KwsSessionRecovery, parser: KwsParser): KwsRecoveryLog {
    const store = new RedisRecoveryStore(
      this.pool,
      this.options,
      this.nodeId,
      recovery,
      parser,
      () => this.membership.directory,
    );
    this.recoveryStore = store;
    recovery.store = store;
    // Every recipient through the log, this node's too: one order for everyone.
    return {
      emitTo: async (uuid, message) => {
        // Outside `cluster()`, which would report an unknown uuid as Redis being unreachable.
        const unknown = await this.cluster('emitTo', () => store.emitToList([uuid], message));
        if (unknown.length > 0) throw this.unknownUuid(uuid, 'emitTo');
      },
      emitToList: (uuids, message) =>
        this.cluster('emitToList', () => store.emitToList(uuids, message)),
      // One XADD instead of the publish; every node (this one too) delivers from the log.
      broadcast: (message, except, room) =>
        this.cluster('broadcast', () => store.broadcast(message, except, room)),
    };
  }

  async start(): Promise<void> {
    await this.membership.start();
    if (!this.membership.recorder.registered) {
      const where = redisLocation(this.options.redis);
      if (this.options.requireRedis) {
        await this.stop().catch(() => undefined);
        throw new KwsError(CLUSTER_REDIS_REQUIRED(where, this.requestTimeout));
      }
      logger.warn(CLUSTER_STARTS_WITHOUT_REDIS(where));
    }
    await this.recoveryStore?.start(this.requestTimeout);
  }

  async stop(): Promise<void> {
    // The rooms of the sessions handed over are parked before the goodbye retires the node's.
    await this.mirrored;
    await Promise.allSettled(this.parking);
    await this.recoveryStore?.stop();
    this.pending.finishAll();
    const goodbye = encodeClusterMessage({ type: ClusterMessageType.Leave, origin: this.nodeId });
    await this.membership.stop(goodbye);
  }

  async register(uuid: string): Promise<void> {
    // While Redis is away this fails fast; the next join claims every local uuid anyway.
    await this.membership.directory?.register(uuid).catch(() => this.membership.markDirty());
  }

  unregister(uuid: string): void {
    this.membership.directory?.release(uuid).catch(() => this.membership.markDirty());
  }

  async rename(from: string, to: string): Promise<void> {
    if (this.pool.has(to)) throw new KwsUUIDDuplicationError(to);
    const rename = this.cluster('setUUID', (directory) => directory.rename(from, to));
    let claimed: boolean;
    try {
      claimed = await this.membership.trackRename(
        rename.then((ok) => {
          // Applied to the pool in the same turn as the answer, before a rejoin's snapshot.
          if (ok) this.applyRename(from, to);
          return ok;
        }),
      );
    } catch (error) {
      // The claim may have run: the next heartbeat re-syncs the directory with the pool.
      if (error instanceof KwsOutcomeUnknownError) this.membership.markDirty();
      throw error;
    }
    if (!claimed) throw new KwsUUIDDuplicationError(to);
  }

  async emitTo(uuid: string, message: KwsOutbound): Promise<void> {
    if (this.pool.has(uuid)) {
      const delivery = this.pool.deliver(uuid, message);
      if (delivery === 'unknown') throw new KwsInvalidConnectionError(uuid);
      if (delivery === 'dropped') throw new KwsMessageDroppedError(uuid, 'slow-consumer');
      return;
    }
    await this.request(uuid, 'emitTo', (id) => ({
      type: ClusterMessageType.Deliver,
      id,
      replyTo: this.nodeId,
      uuid,
      binary: message.binary,
      data: message.data,
    }));
  }

  /**
   * A named event to one uuid, answered by the client's acknowledgement. Remote: the holding node
   * runs `Kws.request` and replies with the ack's data as JSON (so `data` must be JSON-able across
   * nodes). No answer within `timeoutMs` + `requestTimeout`: `KwsOutcomeUnknownError`.
   */
  async emitWithAck(uuid: string, packet: KwsEventPacket, timeoutMs: number): Promise<unknown> {
    const kws = this.pool.get(uuid);
    if (kws) return kws.request(packet, { timeout: timeoutMs });
    const json = Buffer.from(encodeRequestJson(packet));
    const reply = await this.request(
      uuid,
      'request',
      (id) => ({
        type: ClusterMessageType.Request,
        id,
        replyTo: this.nodeId,
        uuid,
        timeoutMs,
        packet: json,
      }),
      timeoutMs + this.requestTimeout,
    );
    const text = reply.data.toString();
    switch (reply.status) {
      case ReplyStatus.Timeout:
        throw new KwsTimeoutError(packet.event, timeoutMs);
      case ReplyStatus.AckError: {
        const { message, status } = readAckError(JSON.parse(text));
        throw new KwsAckError(message, status);
      }
      case ReplyStatus.Failed:
        throw new KwsError(text);
      default:
        return text === '' ? undefined : JSON.parse(text);
    }
  }

  async emitToList(uuids: readonly string[], message: KwsOutbound): Promise<string[]> {
    const failed: string[] = [];
    const remote: string[] = [];
    for (const uuid of uuids) {
      if (!this.pool.has(uuid)) remote.push(uuid);
      else if (!this.pool.sendTo(uuid, message)) failed.push(uuid);
    }
    if (remote.length === 0) return failed;
    // One script (one per directory shard) looks the uuids up and publishes the message once per
    // node holding some of them, in the same command stream as emitTo and broadcast.
    const { id, replies } = this.pending.open();
    const request = (own: string[]): Buffer =>
      encodeClusterMessage({
        type: ClusterMessageType.DeliverList,
        id,
        replyTo: this.nodeId,
        uuids: own,
        binary: message.binary,
        data: message.data,
      });
    let sent: number;
    try {
      ({ sent } = await this.cluster('emitToList', (directory) =>
        directory.routeList(remote, request),
      ));
    } catch (error) {
      this.pending.finish(id);
      // Sent, maybe delivered to some: the caller must not read them as unreachable.
      if (error instanceof KwsOutcomeUnknownError) throw error;
      // Not sent (Redis away): per-uuid contract, the remote uuids are reported as failed.
      return failed.concat(remote);
    }
    this.pending.expect(id, sent);
    const reached = new Set((await replies).flatMap((reply) => reply.uuids));
    for (const uuid of remote) if (!reached.has(uuid)) failed.push(uuid);
    return failed;
  }

  async broadcast(message: KwsOutbound, except?: string, room?: string): Promise<string[]> {
    const failed = this.pool.broadcast(message, except, room);
    const onRoomChannel = room !== undefined && this.roomChannels;
    const broadcast: ClusterMessage = {
      type: ClusterMessageType.Broadcast,
      ...this.number(onRoomChannel ? room : undefined),
      except: except ?? '',
      room: room ?? '',
      binary: message.binary,
      data: message.data,
    };
    // A room broadcast goes only to the nodes holding members of the room (its channel); each
    // node delivers to its own members.
    if (onRoomChannel) await this.publishToRoom(room, broadcast);
    else await this.publishToAll('broadcast', broadcast);
    return failed;
  }

  async fire(event: string, data: Buffer): Promise<void> {
    this.pool.fire(event, data);
    await this.publishToAll('fire', {
      type: ClusterMessageType.Fire,
      ...this.number(undefined),
      event,
      data,
    });
  }

  async close(uuid: string, code: number, reason: string): Promise<void> {
    if (this.pool.close(uuid, code, reason)) return;
    await this.request(uuid, 'close', (id) => ({
      type: ClusterMessageType.Close,
      id,
      replyTo: this.nodeId,
      uuid,
      code,
      reason,
    }));
  }

  async closeAll(code: number, reason: string): Promise<void> {
    this.pool.closeAll(code, reason);
    await this.publishToAll('closeAll', {
      type: ClusterMessageType.CloseAll,
      ...this.number(undefined),
      code,
      reason,
    });
  }

  count(): Promise<number> {
    return this.cluster('count', (directory) => directory.count());
  }

  /** A connection's description from the node holding it (the inspector's lookup). */
  async describe(uuid: string): Promise<KwsConnectionDescription> {
    const kws = this.pool.get(uuid);
    if (kws) {
      if (!kws.isAlive()) throw new KwsInvalidConnectionError(uuid);
      return describeKws(kws, this.nodeId);
    }
    const reply = await this.request(uuid, 'describe', (id) => ({
      type: ClusterMessageType.Describe,
      id,
      replyTo: this.nodeId,
      uuid,
    }));
    return JSON.parse(reply.data.toString()) as KwsConnectionDescription;
  }

  nodeCounts(): Promise<Record<string, number>> {
    return this.cluster('count', (directory) => directory.nodeCounts());
  }

  /** Keeps this node's latest inspector sample in Redis (see `ConnectionDirectory.pushSample`). */
  shareSample(sample: string, keep: number, ttlMs: number): Promise<void> {
    return this.cluster('inspector', (directory) => directory.pushSample(sample, keep, ttlMs));
  }

  /** The inspector samples of `nodes`, from Redis in one pipeline. */
  nodeSamples(nodes: readonly string[]): Promise<Record<string, string[]>> {
    return this.cluster('inspector', (directory) => directory.nodeSamples(nodes));
  }

  async join(uuid: string, rooms: readonly string[]): Promise<void> {
    await this.changeRooms('join', uuid, rooms);
  }

  async leave(uuid: string, rooms: readonly string[]): Promise<void> {
    await this.changeRooms('leave', uuid, rooms);
  }

  roomSize(room: string): Promise<number> {
    return this.cluster('roomSize', (directory) => directory.roomSize(room));
  }

  roomMembers(room: string): Promise<string[]> {
    return this.cluster('roomMembers', (directory) => directory.roomMembers(room));
  }

  rooms(): Promise<string[]> {
    return this.cluster('rooms', (directory) => directory.rooms());
  }

  /**
   * A page of rooms straight from the directory's scan, shard after shard (the cursor names the
   * shard and Redis's cursor in it): a room present for the whole walk comes at least once; one may
   * come twice (as with SCAN), e.g. while Redis resizes the set.
   */
  async roomsPage(cursor: string, count: number): Promise<KwsPage> {
    const tag = walkTag('redis');
    const from = scanPosition(cursor, tag, this.directoryShards);
    return this.cluster('rooms', (directory) =>
      readScanPage(
        (shard, scan, batch) => directory.roomsPage(shard, scan, batch),
        directory.shards,
        tag,
        from,
        count,
      ),
    );
  }

  /** A page of a room's members straight from the directory's scan, as `roomsPage`. */
  async roomMembersPage(room: string, cursor: string, count: number): Promise<KwsPage> {
    const tag = walkTag('redis', room);
    const from = scanPosition(cursor, tag, 1);
    return this.cluster('roomMembers', (directory) =>
      readScanPage(
        (_, scan, batch) => directory.roomMembersPage(room, scan, batch),
        1,
        tag,
        from,
        count,
      ),
    );
  }

  /** Shards of the directory (checked in a cursor before Redis is asked); 1 on a plain Redis. */
  private get directoryShards(): number {
    return this.membership.directory?.shards ?? REDIS_CLUSTER_SHARDS;
  }

  onPresence(listener: KwsPresenceListener): () => void {
    return this.presence.add(listener);
  }

  /**
   * Listens for messages this node missed although their publish succeeded (Redis dropped its
   * subscription with them queued, e.g. while its event loop was blocked during a burst): a
   * broadcast, `fire` or `closeAll` its connections never got. Also logged and counted
   * (`stats.gaps`, `stats.missedMessages`). Returns a function that removes the listener.
   */
  onGap(listener: (gap: KwsClusterGap) => void): () => void {
    return this.membership.onGap(listener);
  }

  /** `join`/`leave` for a uuid on any node: the holder changes its rooms as `kws.join` would. */
  private async changeRooms(
    change: 'join' | 'leave',
    uuid: string,
    rooms: readonly string[],
  ): Promise<void> {
    const kws = this.pool.get(uuid);
    if (kws) {
      if (!kws.isAlive()) throw new KwsInvalidConnectionError(uuid);
      if (change === 'join') kws.join(...rooms);
      else kws.leave(...rooms);
      return;
    }
    const reply = await this.request(uuid, change, (id) => ({
      type: change === 'join' ? ClusterMessageType.RoomJoin : ClusterMessageType.RoomLeave,
      id,
      replyTo: this.nodeId,
      uuid,
      rooms: [...rooms],
    }));
    // The holding node refused it (past its maxRoomsPerConnection): nothing was joined.
    if (reply.status === ReplyStatus.Failed) throw new KwsError(reply.data.toString());
  }

  /**
   * Mirrors a local membership change in the directory and announces it once the directory says
   * it is one. Changes are mirrored one after the other, in order; a node's first member of a room
   * first subscribes to the room's channel, so it is counted in the room only once it listens.
   */
  private mirror(change: KwsMembershipChange): void {
    this.mirrored = this.mirrored.then(() => this.mirrorOne(change));
  }

  private async mirrorOne({ type, uuid, room, reason, moved }: KwsMembershipChange): Promise<void> {
    const directory = this.membership.directory;
    // Not started, or stopped: the next rejoin registers every membership anyway.
    if (!directory) return;
    if (this.roomChannels && type === 'join' && this.pool.roomSize(room) > 0) {
      await this.membership.subscribeRoom(room).catch(() => undefined);
    }
    const recovery = this.recoveryStore?.maxDisconnection;
    if (moved && type === 'leave' && recovery !== undefined) {
      // The session goes on elsewhere: its membership waits, listed, for the node resuming it.
      const parked = directory.roomPark(uuid, [room], recovery);
      this.parking.add(parked);
      parked.then(
        () => this.parking.delete(parked),
        () => {
          this.parking.delete(parked);
          this.membership.markDirty();
        },
      );
      if (this.pool.roomSize(room) === 0) this.membership.unsubscribeRoom(room);
      return;
    }
    const sent =
      type === 'leave'
        ? directory.roomLeave(uuid, [room])
        : moved
          ? directory.roomAdopt(uuid, [room])
          : directory.roomJoin(uuid, [room]);
    sent.then(
      (changed) => {
        if (changed.length > 0) this.presence.emit({ type, room, uuid, reason });
        // Unsubscribed once the directory no longer counts this node in the room.
        if (type === 'leave' && this.pool.roomSize(room) === 0) {
          this.membership.unsubscribeRoom(room);
        }
      },
      () => this.membership.markDirty(),
    );
  }

  /** Figures for `KwsServer.stats()` and the health indicator. */
  clusterSnapshot(): KwsClusterSnapshot {
    const { recorder, stats } = this.membership;
    return recorder.snapshot(this.nodeId, this.pending.size, stats);
  }

  /**
   * Routes a request to the node holding `uuid` and waits for its answer; each way it can end has
   * its own error (see the class comment). Resolves with the reply when the uuid was served.
   */
  private async request(
    uuid: string,
    what: string,
    build: (id: number) => ClusterRequest,
    timeoutMs = this.requestTimeout,
  ): Promise<NodeReply> {
    const { id, replies } = this.pending.open(1, timeoutMs);
    const request = encodeClusterMessage(build(id));
    let routed: Awaited<ReturnType<ConnectionDirectory['route']>>;
    try {
      routed = await this.cluster(what, (directory) => directory.route(uuid, request));
    } catch (error) {
      this.pending.finish(id);
      throw error;
    }
    if (routed !== 'sent') {
      this.pending.finish(id);
      if (routed === 'unknown') throw this.unknownUuid(uuid, what);
      if (routed === 'holder-dead') throw this.unknownUuid(uuid, what, true);
      throw new KwsMessageDroppedError(uuid, 'node-not-listening');
    }
    const [reply] = await replies;
    if (!reply) throw new KwsOutcomeUnknownError(what, 'timeout');
    if (reply.status === ReplyStatus.Unknown) throw new KwsInvalidConnectionError(uuid);
    if (reply.status === ReplyStatus.Dropped)
      throw new KwsMessageDroppedError(uuid, 'slow-consumer');
    return reply;
  }

  /**
   * A uuid the directory does not know, or whose holder's liveness expired. Right after Redis was
   * away its holder may not have rejoined yet (its liveness expired during a failover longer than
   * `nodeTtl`): the cluster is reported unavailable until the nodes seen before are back (or, for
   * an entry whose holder expired, for two `nodeTtl` after Redis came back), not the user as gone.
   */
  private unknownUuid(uuid: string, what: string, holderDead = false): KwsError {
    const incomplete = holderDead ? this.membership.backRecently() : this.membership.incomplete();
    if (incomplete) return new KwsClusterUnavailableError(what);
    return new KwsInvalidConnectionError(uuid);
  }

  /**
   * The numbering of a message published without an answer, on the broadcast channel or on
   * `room`'s channel: the receivers find what they missed (see `GapDetector`).
   */
  private number(room: string | undefined): Sequenced {
    return { origin: this.nodeId, ...this.sequencer.next(publishStream(room)) };
  }

  /** Publishes to every node; a live node that was not listening makes it reject. */
  private async publishToAll(what: string, message: ClusterMessage): Promise<void> {
    const payload = encodeClusterMessage(message);
    const { receivers, live } = await this.numbered(
      this.cluster(what, (directory) => directory.publishAll(payload)),
    );
    const expected = this.membership.expectedNodes(live);
    if (receivers < expected) throw new KwsBroadcastIncompleteError(what, receivers, expected);
  }

  /**
   * Publishes on a room's channel; a live node of the room that was not listening makes it reject.
   * Right after Redis was away, nodes that have not rejoined yet are missing from the room's
   * nodes too: while any node seen before is missing, the broadcast cannot tell whether it
   * reached every member, and rejects.
   */
  private async publishToRoom(room: string, message: ClusterMessage): Promise<void> {
    const payload = encodeClusterMessage(message);
    const recovering = this.membership.recovering();
    const { receivers, live, all } = await this.numbered(
      this.cluster('broadcast', (directory) => directory.publishRoom(room, payload, recovering)),
    );
    const missing = recovering ? Math.max(0, this.membership.expectedNodes(all) - all) : 0;
    if (receivers < live + missing) {
      throw new KwsBroadcastIncompleteError('broadcast', receivers, live + missing);
    }
  }

  /** A numbered publish that failed: the numbers start again (see `PublishSequencer`). */
  private numbered<T>(publish: Promise<T>): Promise<T> {
    return publish.catch((error: unknown) => {
      this.sequencer.broken();
      throw error;
    });
  }

  private applyRename(from: string, to: string): void {
    try {
      this.pool.rekey(from, to);
    } catch (error) {
      // Another local connection took `to` meanwhile: give `from` back its directory entry.
      void this.register(from);
      throw error;
    }
    // The connection ended while the claim was in flight: `to` must not stay claimed.
    if (!this.pool.has(to)) this.unregister(to);
  }

  /**
   * Runs a Redis call. A call that never left (Redis away) becomes `KwsClusterUnavailableError`;
   * one that left and got no answer becomes `KwsOutcomeUnknownError`.
   */
  private async cluster<T>(
    what: string,
    call: (directory: ConnectionDirectory) => Promise<T>,
  ): Promise<T> {
    const directory = this.membership.directory;
    if (!directory) throw new KwsClusterUnavailableError(what);
    try {
      return await call(directory);
    } catch (error) {
      this.membership.recorder.failed(what);
      if (error instanceof CommandOutcomeUnknown) {
        throw new KwsOutcomeUnknownError(what, error.reason, { cause: error });
      }
      throw new KwsClusterUnavailableError(what, { cause: error });
    }
  }
}

/** A request's packet as JSON for the holding node; unencodable data is a `KwsEncodeError`. */
function encodeRequestJson(packet: KwsEventPacket): string {
  try {
    return JSON.stringify({ event: packet.event, data: packet.data });
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'JSON.stringify threw';
    throw new KwsEncodeError(ENCODE_FAILED(`the "${packet.event}" packet`, reason), {
      cause: error,
    });
  }
}
