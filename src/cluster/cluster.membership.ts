import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { KwsError } from '../errors/kws.error.js';
import { CloseCode } from '../kws.constants.js';
import {
  CLUSTER_AUTH_FAILED,
  CLUSTER_CONNECTION_LOST,
  CLUSTER_JOINED,
  CLUSTER_MESSAGES_MISSED,
  CLUSTER_SUBSCRIPTION_LOST,
  CLUSTER_UUID_TAKEN,
} from '../kws.messages.js';
import type { PresenceListeners } from '../broker/presence.js';
import type { KwsConnectionPool } from '../server/connection.pool.js';
import { ConnectionDirectory } from './connection.directory.js';
import {
  DEFAULT_CLUSTER_KEY_PREFIX,
  DEFAULT_HEARTBEAT_INTERVAL,
  DEFAULT_NODE_TTL,
  type KwsClusterOptions,
} from './kws-cluster-options.interface.js';
import {
  createRedisConnections,
  openEveryMaster,
  type RedisConnections,
} from './redis.connections.js';
import { KwsClusterStatsRecorder } from '../metrics/cluster.stats.js';
import { GapDetector, type KwsClusterGap } from './gap.detector.js';
import type { Sequenced } from './messages/cluster-message.js';
import { publishStream, type PublishStream } from './publish.sequencer.js';

/** Counters of what went wrong on this node, for logs, metrics and tests. */
// Its own file, so the public typings never reach this one (which imports ioredis' types).
export type { KwsClusterStats } from './cluster-stats.interface.js';

import type { KwsClusterStats } from './cluster-stats.interface.js';

/** Redis' answers to a bad or missing password. */
const AUTH_ERROR = /^(NOAUTH|WRONGPASS)|invalid password|AUTH.*(failed|required)/i;

/**
 * One node's membership of the cluster: its two Redis connections, its liveness and its part of
 * the directory. The node counts as alive only while both connections are up and its
 * subscription is live: a lost subscription is logged and counted, the node stops refreshing its
 * liveness, and once it has re-subscribed it rejoins (re-claims every local uuid).
 */
export class ClusterMembership {
  readonly stats: KwsClusterStats = {
    subscriptionLosses: 0,
    unreadableMessages: 0,
    rejoins: 0,
    gaps: 0,
    missedMessages: 0,
  };
  /** Liveness, readiness and failures for `KwsServer.stats()` and the health indicator. */
  readonly recorder = new KwsClusterStatsRecorder();
  private readonly logger = new Logger('KwsCluster');
  private readonly heartbeatInterval: number;
  private readonly nodeTtl: number;
  private connections: RedisConnections | undefined;
  private directoryOf: ConnectionDirectory | undefined;
  private timer: NodeJS.Timeout | undefined;
  private joining: Promise<void> | undefined;
  private collecting = false;
  private subscribed = false;
  /** Whether the loss of Redis was already logged (once per outage, not per failed call). */
  private lostLogged = false;
  /** A register or release did not reach Redis: the next heartbeat re-syncs every local uuid. */
  private resyncNeeded = false;
  private stopped = false;
  /** Renames sent and not yet applied to the pool: a rejoin waits for them (see `rejoin`). */
  private readonly renames = new Set<Promise<unknown>>();
  /** Live-node counts seen by recent heartbeats: see `expectedNodes`. */
  private liveSeen: Array<{ at: number; live: number }> = [];
  /**
   * This node was cut off from the cluster since its last good heartbeat: Redis was away (a
   * connection closed, a heartbeat failed) or its subscription was lost. Either way its liveness
   * lapsed like the others' may have, so what it saw before is kept until it is back.
   */
  private cutOff = false;
  /** How many nodes the last good heartbeat counted alive in the shard that counts the fewest. */
  private fewestLive = 0;
  /** Until then, nodes seen before Redis was away may not have rejoined yet (see `recovering`). */
  private recoveringUntil = 0;
  /** When this node's heartbeat last succeeded again after Redis was away (see `backRecently`). */
  private backAt = 0;
  private lastError: Error | undefined;
  private subscribing: Promise<void> | undefined;
  /** Rooms whose channel this node listens to (it holds members of them). */
  private readonly roomsListened = new Set<string>();
  /** Finds the numbered messages that never arrived (see `received`). */
  private readonly gaps = new GapDetector();
  private readonly gapListeners = new Set<(gap: KwsClusterGap) => void>();

  constructor(
    private readonly pool: KwsConnectionPool,
    private readonly options: KwsClusterOptions,
    readonly nodeId: string,
    private readonly requestTimeout: number,
    private readonly onMessage: (message: Buffer) => void,
    private readonly presence: PresenceListeners,
  ) {
    this.heartbeatInterval = options.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL;
    this.nodeTtl = options.nodeTtl ?? DEFAULT_NODE_TTL;
  }

  /** The directory, once started (undefined before `start` and after `stop`). */
  get directory(): ConnectionDirectory | undefined {
    return this.stopped ? undefined : this.directoryOf;
  }

  async start(): Promise<void> {
    const connections = await createRedisConnections(this.options, this.requestTimeout);
    const { commands, subscriber, sharded } = connections;
    const directory = new ConnectionDirectory(
      commands,
      this.options.keyPrefix ?? DEFAULT_CLUSTER_KEY_PREFIX,
      this.nodeId,
      this.nodeTtl,
      sharded,
    );
    this.connections = connections;
    this.directoryOf = directory;
    this.recorder.watch(connections);
    commands.on('error', (error: Error) => this.onLost(error));
    commands.on('close', () => (this.cutOff = true));
    // After every reconnect (Redis restarted, network back) the node rejoins by itself.
    commands.on('ready', () => void this.join());
    subscriber.on('error', (error: Error) => (this.lastError = error));
    subscriber.on('close', () => this.subscriptionLost('connection closed'));
    subscriber.on('ready', () => {
      if (!this.subscribed) void this.resubscribe();
    });
    const event = sharded ? 'smessageBuffer' : 'messageBuffer';
    subscriber.on(event, (_channel: Buffer, message: Buffer) => this.onMessage(message));
    this.timer = setInterval(() => void this.beat(), this.heartbeatInterval);
    this.timer.unref();
    try {
      // Redis away at boot: the app still starts (local traffic works) and joins when it can.
      const connected = Promise.all([subscriber.connect(), commands.connect()]);
      await withTimeout(connected, this.requestTimeout);
      // Not left to the 'ready' event, which may come after this point. Subscribing ends with a
      // join; one more only when it did not (Redis was away meanwhile).
      if (!this.subscribed) await this.resubscribe();
      if (!this.recorder.registered) await this.join();
    } catch (error) {
      this.failOnAuth(error);
      this.onLost(error);
    }
  }

  async stop(goodbye: Buffer): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    if (!this.connections || !this.directoryOf) return;
    // Goodbye: the node's uuids are free at once rather than after the liveness TTL, and the
    // other nodes stop expecting it in their broadcasts.
    await this.directoryOf.leave().catch(() => undefined);
    await this.directoryOf.publish(this.directoryOf.broadcastChannel, goodbye).catch(() => 0);
    this.connections.commands.disconnect();
    this.connections.subscriber.disconnect();
  }

  /** The register or release of a uuid did not reach Redis: re-sync at the next heartbeat. */
  markDirty(): void {
    this.resyncNeeded = true;
  }

  /** Runs a rename; a rejoin waits until it is applied to the pool (or failed). */
  trackRename<T>(rename: Promise<T>): Promise<T> {
    const tracked = rename.finally(() => this.renames.delete(tracked));
    this.renames.add(tracked);
    return tracked;
  }

  /**
   * How many live nodes a broadcast should reach: the directory's count, or more if a recent
   * heartbeat saw more. Right after Redis restarts empty or fails over, nodes that have not
   * rejoined yet are missing from the directory (their liveness expired while Redis was away);
   * remembering them for `nodeTtl` after Redis is back lets a broadcast that missed them be
   * reported. A node that leaves cleanly says so and is forgotten at once.
   */
  expectedNodes(live: number): number {
    // Until a heartbeat succeeds again, nothing seen before Redis went away is forgotten.
    if (!this.cutOff) this.forgetOld(Date.now());
    return Math.max(live, ...this.liveSeen.map((seen) => seen.live));
  }

  /**
   * Whether Redis came back less than `nodeTtl` ago (restarted, failed over, or the connection
   * dropped): the directory may still miss nodes that have not rejoined yet.
   */
  recovering(): boolean {
    return this.cutOff || Date.now() < this.recoveringUntil;
  }

  /**
   * Whether the directory may still miss live nodes: this node is cut off, or came back less than
   * `nodeTtl` ago and its last heartbeat saw, in some shard, fewer nodes than were alive before. A
   * uuid the directory does not know may then be held by a node that has not rejoined yet (on
   * Redis Cluster, one whose liveness lapsed only in the shard of a master that failed over).
   */
  incomplete(): boolean {
    if (this.cutOff) return true;
    if (Date.now() >= this.recoveringUntil) return false;
    return this.fewestLive < this.expectedNodes(this.fewestLive);
  }

  /**
   * Whether Redis is away or came back less than two `nodeTtl` (and a heartbeat) ago: a node whose
   * liveness expired while Redis was away gets that long to rejoin before its uuids read as gone
   * (its heartbeats and rejoin after a failover take a few round trips, more on a loaded host).
   */
  backRecently(): boolean {
    if (this.cutOff) return true;
    return Date.now() < this.backAt + 2 * this.nodeTtl + this.heartbeatInterval;
  }

  private rememberLive(live: number, fewest: number): void {
    const now = Date.now();
    this.fewestLive = fewest;
    if (this.cutOff) {
      // The nodes seen before need a whole nodeTtl from now to come back, so what was seen
      // before counts as seen now.
      for (const seen of this.liveSeen) seen.at = now;
      this.recoveringUntil = now + this.nodeTtl + this.heartbeatInterval;
      this.backAt = now;
      this.cutOff = false;
    }
    this.liveSeen.push({ at: now, live });
    this.forgetOld(now);
  }

  private forgetOld(now: number): void {
    const since = now - this.nodeTtl - this.heartbeatInterval;
    if (this.liveSeen.length > 0 && this.liveSeen[0].at < since) {
      this.liveSeen = this.liveSeen.filter((seen) => seen.at >= since);
    }
  }

  /** Another node left cleanly: stop expecting it. */
  nodeLeft(node: string): void {
    this.liveSeen = [];
    this.gaps.forgetOrigin(node);
  }

  /**
   * A numbered message arrived on `stream`: messages of the same publisher missing before it were
   * lost on the way (Redis dropped them with this node's subscription) although their publish
   * succeeded. Counted, logged and announced, so that no such loss is silent.
   */
  received({ origin, epoch, seq }: Sequenced, stream: PublishStream): void {
    const missed = this.gaps.seen(origin, stream, epoch, seq);
    if (missed === 0) return;
    this.stats.gaps++;
    this.stats.missedMessages += missed;
    const room = stream === '' ? undefined : stream.slice('room:'.length);
    this.logger.warn(CLUSTER_MESSAGES_MISSED(missed, origin, room));
    for (const listener of this.gapListeners) listener({ origin, room, missed });
  }

  /** Listens for gaps (see `received`); returns the function that stops it. */
  onGap(listener: (gap: KwsClusterGap) => void): () => void {
    this.gapListeners.add(listener);
    return () => this.gapListeners.delete(listener);
  }

  /**
   * Listens to a room's channel while this node holds members of it (room channels on); bounded by
   * `requestTimeout`, since a subscriber that is away re-subscribes every room when it is back.
   */
  async subscribeRoom(room: string): Promise<void> {
    const directory = this.directory;
    const subscriber = this.connections?.subscriber;
    if (!directory || !subscriber || this.roomsListened.has(room)) return;
    this.roomsListened.add(room);
    if (!this.subscribed) return;
    await withTimeout(
      listen(subscriber, directory, [directory.roomChannel(room)]),
      this.requestTimeout,
    );
  }

  /** Stops listening to a room's channel (its last local member left). */
  unsubscribeRoom(room: string): void {
    const directory = this.directory;
    if (!directory || !this.roomsListened.delete(room)) return;
    // What is published on it from now on is not for this node: no gap to find there.
    this.gaps.forgetStream(publishStream(room));
    const subscriber = this.connections?.subscriber;
    const channel = directory.roomChannel(room);
    const left = directory.sharded
      ? subscriber?.sunsubscribe(channel)
      : subscriber?.unsubscribe(channel);
    left?.catch(() => undefined);
  }

  /** (Re)subscribes to every channel of the node, then rejoins; concurrent calls share one run. */
  private resubscribe(): Promise<void> {
    const subscriber = this.connections?.subscriber;
    const directory = this.directory;
    if (!subscriber || !directory) return Promise.resolve();
    this.subscribing ??= this.subscribe(subscriber, directory).finally(
      () => (this.subscribing = undefined),
    );
    return this.subscribing;
  }

  private async subscribe(subscriber: Redis, directory: ConnectionDirectory): Promise<void> {
    const rooms = Array.from(this.roomsListened, (room) => directory.roomChannel(room));
    try {
      await listen(subscriber, directory, [
        directory.broadcastChannel,
        ...directory.nodeChannels(),
        ...rooms,
      ]);
    } catch (error) {
      this.onLost(error);
      return;
    }
    this.subscribed = true;
    await this.join();
  }

  private subscriptionLost(reason: string): void {
    if (!this.subscribed || this.stopped) return;
    this.subscribed = false;
    // Beats stop until it re-subscribes, so no failed heartbeat may ever say Redis was away (the
    // subscriber of a Redis Cluster master that dies often notices first).
    this.cutOff = true;
    this.recorder.registered = false;
    this.stats.subscriptionLosses++;
    this.logger.warn(CLUSTER_SUBSCRIPTION_LOST(reason));
  }

  /** Claims every local uuid again; concurrent calls share one run; never rejects. */
  private join(): Promise<void> {
    const directory = this.directory;
    // Not listening yet: joining now would make the node look alive while it hears nothing.
    if (!directory || !this.subscribed || this.connections?.commands.status !== 'ready') {
      return Promise.resolve();
    }
    this.joining ??= this.rejoin(directory)
      .catch((error: unknown) => {
        this.resyncNeeded = true;
        this.onLost(error);
      })
      .finally(() => (this.joining = undefined));
    return this.joining;
  }

  private async rejoin(directory: ConnectionDirectory): Promise<void> {
    this.resyncNeeded = false;
    // A rename sent before this join but applied to the pool after its snapshot would leave the
    // directory with the old uuid and without the new one: take the snapshot once none is pending.
    while (this.renames.size > 0) await Promise.allSettled(this.renames);
    if (this.connections) await openEveryMaster(this.connections);
    const uuids = Array.from(this.pool.values(), (kws) => kws.uuid);
    const members = this.pool
      .roomNames()
      .flatMap((room) => this.pool.roomMembers(room).map((uuid) => ({ uuid, room })));
    // Local changes issued from here on wait for the join, so they apply on top of this snapshot.
    const { taken, joined } = await directory.join(uuids, members);
    this.stats.rejoins++;
    // Memberships Redis had lost (it restarted empty) or never got (joined while it was away).
    for (const { uuid, room } of joined) {
      this.presence.emit({ type: 'join', room, uuid, reason: 'joined' });
    }
    // Cut off long enough to count as dead, a node may find a uuid claimed elsewhere meanwhile:
    // the newer claim wins so a uuid names one connection in the cluster.
    for (const uuid of taken) {
      this.logger.warn(CLUSTER_UUID_TAKEN(uuid));
      this.pool.close(uuid, CloseCode.PolicyViolation, 'uuid taken');
    }
    this.lostLogged = false;
    this.recorder.registered = true;
    this.logger.log(CLUSTER_JOINED(this.nodeId, uuids.length - taken.length));
  }

  private async beat(): Promise<void> {
    const directory = this.directory;
    if (!directory || this.joining) return;
    if (this.connections?.commands.status !== 'ready') {
      this.cutOff = true;
      return;
    }
    // Without its subscription the node lets its liveness expire: it is not refreshed.
    if (!this.subscribed) {
      // On Redis Cluster each master has its own subscriber connection, which the cluster client
      // replaces when slots move; re-subscribing routes each channel to its master's.
      if (directory.sharded) void this.resubscribe();
      return;
    }
    try {
      const { status, garbage, live, fewest } = await this.recorder.heartbeat(
        directory.heartbeat(),
      );
      if (status === 'not-listening') {
        // Redis dropped the subscription (e.g. its pub/sub output buffer limit) without the
        // connection closing here: reconnect it, which re-subscribes and rejoins.
        this.subscriptionLost('Redis dropped it');
        // Reconnecting a cluster client's subscribers may never end in 'ready' (seen after a
        // master's failover): it re-subscribes at the next heartbeat instead (see above).
        if (!directory.sharded) this.connections?.subscriber.disconnect(true);
        return;
      }
      this.rememberLive(live, fewest);
      if (status === 'expired' || this.resyncNeeded) await this.join();
      if (garbage > 0) void this.collectGarbage(directory);
    } catch (error) {
      this.cutOff = true;
      this.onLost(error);
    }
  }

  /** Drains retired uuid sets in bounded batches, one drain at a time per node. */
  private async collectGarbage(directory: ConnectionDirectory): Promise<void> {
    if (this.collecting) return;
    this.collecting = true;
    try {
      await directory.collectGarbage(({ nodeAlive, parked, members }) => {
        // A dead node's members leave now; an alive node's leftovers left while Redis was away;
        // parked ones belong to handed-over sessions no node resumed within maxDisconnection.
        const reason = parked ? 'disconnected' : nodeAlive ? 'left' : 'node-died';
        for (const { uuid, room } of members) {
          this.presence.emit({ type: 'leave', room, uuid, reason });
        }
      });
    } catch (error) {
      this.onLost(error);
    } finally {
      this.collecting = false;
    }
  }

  /** A Redis that refuses our credentials will never let us in: bootstrap fails, clearly. */
  private failOnAuth(error: unknown): void {
    const reason = [error, this.lastError]
      .map((e) => (e instanceof Error ? e.message : ''))
      .find((message) => AUTH_ERROR.test(message));
    if (reason === undefined) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.connections?.commands.disconnect();
    this.connections?.subscriber.disconnect();
    throw new KwsError(CLUSTER_AUTH_FAILED(reason), { cause: error });
  }

  private onLost(error: unknown): void {
    this.recorder.registered = false;
    if (error instanceof Error) this.lastError = error;
    if (this.lostLogged || this.stopped) return;
    this.lostLogged = true;
    this.logger.warn(
      CLUSTER_CONNECTION_LOST(error instanceof Error ? error.message : String(error)),
    );
  }
}

/** SUBSCRIBE, or SSUBSCRIBE with Redis Cluster (one call per channel: they are in many slots). */
function listen(
  subscriber: Redis,
  directory: ConnectionDirectory,
  channels: string[],
): Promise<unknown> {
  if (!directory.sharded) return subscriber.subscribe(...channels);
  return Promise.all(channels.map((channel) => subscriber.ssubscribe(channel)));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
