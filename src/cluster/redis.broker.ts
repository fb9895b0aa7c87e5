import type { KwsEventPacket } from '../events/kws-packet.interface.js';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { KwsOutbound } from '../connection/outbound.message.js';
import { KwsError } from '../errors/kws.error.js';
import { KwsClusterUnavailableError } from '../errors/kws-cluster-unavailable.error.js';
import { KwsInvalidConnectionError } from '../errors/kws-invalid-connection.error.js';
import { KwsUUIDDuplicationError } from '../errors/kws-uuid-duplication.error.js';
import type { KwsBroker, KwsBrokerFactory } from '../broker/kws-broker.interface.js';
import { CloseCode } from '../kws.constants.js';
import {
  CLUSTER_REQUEST_REMOTE,
  CLUSTER_BAD_TTL,
  CLUSTER_CONNECTION_LOST,
  CLUSTER_JOINED,
  CLUSTER_UUID_TAKEN,
} from '../kws.messages.js';
import type { KwsConnectionPool } from '../server/connection.pool.js';
import { ClusterInbox } from './cluster.inbox.js';
import { ClusterMessageType, type ClusterMessage } from './messages/cluster-message.js';
import { encodeClusterMessage } from './messages/cluster-message.codec.js';
import { ConnectionDirectory } from './connection.directory.js';
import {
  DEFAULT_CLUSTER_KEY_PREFIX,
  DEFAULT_HEARTBEAT_INTERVAL,
  DEFAULT_NODE_TTL,
  DEFAULT_REQUEST_TIMEOUT,
  type KwsClusterOptions,
} from './kws-cluster-options.interface.js';
import { PendingRequests, type NodeReply } from './pending-requests.registry.js';
import { createRedisConnections, type RedisConnections } from './redis.connections.js';

/**
 * The cluster twin of `LocalKwsBroker`: every node of the app shares one Redis. Local targets are
 * served from the local pool without Redis; a broadcast, fire or closeAll is delivered locally
 * and published once for the other nodes; a message to a remote uuid goes to the node that holds
 * it and waits for its answer. Enabled with `KwsModule.forRoot({ cluster: { redis } })`.
 */
export class KwsRedisBroker implements KwsBroker {
  /** This process's id in the cluster (random per start). */
  readonly nodeId = randomUUID();
  private readonly logger = new Logger('KwsCluster');
  private readonly pending: PendingRequests;
  private readonly requestTimeout: number;
  private connections: RedisConnections | undefined;
  private directory: ConnectionDirectory | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private joining: Promise<void> | undefined;
  /** Whether the loss of Redis was already logged (once per outage, not per failed call). */
  private lostLogged = false;
  /** A register or release did not reach Redis: the next heartbeat re-syncs every local uuid. */
  private resyncNeeded = false;
  private stopped = false;

  constructor(
    private readonly pool: KwsConnectionPool,
    private readonly options: KwsClusterOptions,
  ) {
    this.requestTimeout = options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT;
    const interval = options.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL;
    const ttl = options.nodeTtl ?? DEFAULT_NODE_TTL;
    // A TTL that one late heartbeat can miss would make live nodes flap between dead and alive.
    if (!(ttl >= 2 * interval && interval > 0)) throw new KwsError(CLUSTER_BAD_TTL(interval, ttl));
    this.pending = new PendingRequests(this.requestTimeout);
  }

  /** A broker factory for the `broker` module option. */
  static factory(options: KwsClusterOptions): KwsBrokerFactory {
    return (pool) => new KwsRedisBroker(pool, options);
  }

  async start(): Promise<void> {
    const connections = await createRedisConnections(this.options, this.requestTimeout);
    const { commands, subscriber } = connections;
    const directory = new ConnectionDirectory(
      commands,
      this.options.keyPrefix ?? DEFAULT_CLUSTER_KEY_PREFIX,
      this.nodeId,
      this.options.nodeTtl ?? DEFAULT_NODE_TTL,
    );
    this.connections = connections;
    this.directory = directory;
    const inbox = new ClusterInbox(this.pool, directory, this.pending);
    commands.on('error', (error: Error) => this.onLost(error));
    // After every reconnect (Redis restarted, network back) the node rejoins by itself.
    commands.on('ready', () => void this.join());
    subscriber.on('error', () => undefined);
    subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => inbox.receive(message));
    const subscribed = subscriber.subscribe(directory.broadcastChannel, directory.nodeChannel());
    subscribed.catch(() => undefined);
    this.heartbeat = setInterval(
      () => void this.beat(),
      this.options.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL,
    );
    this.heartbeat.unref();
    try {
      // Redis away at boot: the app still starts (local traffic works) and joins when it can.
      await withTimeout(Promise.all([subscribed, commands.connect()]), this.requestTimeout);
      await this.join();
    } catch (error) {
      this.onLost(error);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    this.pending.finishAll();
    if (!this.connections || !this.directory) return;
    // Goodbye: the node's uuids are free at once rather than after the liveness TTL.
    await this.directory.leave().catch(() => undefined);
    this.connections.commands.disconnect();
    this.connections.subscriber.disconnect();
  }

  async register(uuid: string): Promise<void> {
    // While Redis is away this fails fast; the next join claims every local uuid anyway.
    await this.directory?.register(uuid).catch(() => (this.resyncNeeded = true));
  }

  unregister(uuid: string): void {
    this.directory?.release(uuid).catch(() => (this.resyncNeeded = true));
  }

  async rename(from: string, to: string): Promise<void> {
    if (this.pool.has(to)) throw new KwsUUIDDuplicationError(to);
    const claimed = await this.cluster('setUUID', (directory) => directory.rename(from, to));
    if (!claimed) throw new KwsUUIDDuplicationError(to);
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

  async emitTo(uuid: string, message: KwsOutbound): Promise<void> {
    if (this.pool.has(uuid)) {
      if (!this.pool.sendTo(uuid, message)) throw new KwsInvalidConnectionError(uuid);
      return;
    }
    const { id, replies } = this.pending.open(1);
    const request = encodeClusterMessage({
      type: ClusterMessageType.Deliver,
      id,
      replyTo: this.nodeId,
      uuid,
      binary: message.binary,
      data: message.data,
    });
    await this.request(id, replies, uuid, request, 'emitTo');
  }

  emitWithAck(uuid: string, packet: KwsEventPacket, timeoutMs: number): Promise<unknown> {
    const kws = this.pool.get(uuid);
    if (kws) return kws.request(packet, { timeout: timeoutMs });
    // Cross-node requests need a reply channel of their own: not built yet.
    return Promise.reject(new KwsError(CLUSTER_REQUEST_REMOTE(uuid)));
  }

  async emitToList(uuids: readonly string[], message: KwsOutbound): Promise<string[]> {
    const failed: string[] = [];
    const remote: string[] = [];
    for (const uuid of uuids) {
      if (!this.pool.has(uuid)) remote.push(uuid);
      else if (!this.pool.sendTo(uuid, message)) failed.push(uuid);
    }
    if (remote.length === 0) return failed;
    // One script looks the uuids up and publishes the message once per node holding some of them,
    // in the same command stream as emitTo and broadcast, so their order is kept.
    const { id, replies } = this.pending.open();
    const request = encodeClusterMessage({
      type: ClusterMessageType.DeliverList,
      id,
      replyTo: this.nodeId,
      uuids: remote,
      binary: message.binary,
      data: message.data,
    });
    let owners: string[];
    try {
      owners = await this.cluster('emitToList', (directory) =>
        directory.routeList(remote, request),
      );
    } catch {
      // Per-uuid contract: unreachable uuids are reported, the local part was delivered.
      this.pending.finish(id);
      return failed.concat(remote);
    }
    this.pending.expect(id, new Set(owners.filter(Boolean)).size);
    const reached = new Set((await replies).flatMap((reply) => reply.uuids));
    for (const uuid of remote) if (!reached.has(uuid)) failed.push(uuid);
    return failed;
  }

  async broadcast(message: KwsOutbound, except?: string, room?: string): Promise<string[]> {
    const failed = this.pool.broadcast(message, except, room);
    // Room membership is local to each node: every node delivers to its own members.
    await this.publishToAll('broadcast', {
      type: ClusterMessageType.Broadcast,
      origin: this.nodeId,
      except: except ?? '',
      room: room ?? '',
      binary: message.binary,
      data: message.data,
    });
    return failed;
  }

  async fire(event: string, data: Buffer): Promise<void> {
    this.pool.fire(event, data);
    await this.publishToAll('fire', {
      type: ClusterMessageType.Fire,
      origin: this.nodeId,
      event,
      data,
    });
  }

  async close(uuid: string, code: number, reason: string): Promise<void> {
    if (this.pool.close(uuid, code, reason)) return;
    const { id, replies } = this.pending.open(1);
    const request = encodeClusterMessage({
      type: ClusterMessageType.Close,
      id,
      replyTo: this.nodeId,
      uuid,
      code,
      reason,
    });
    await this.request(id, replies, uuid, request, 'close');
  }

  async closeAll(code: number, reason: string): Promise<void> {
    this.pool.closeAll(code, reason);
    await this.publishToAll('closeAll', {
      type: ClusterMessageType.CloseAll,
      origin: this.nodeId,
      code,
      reason,
    });
  }

  count(): Promise<number> {
    return this.cluster('count', (directory) => directory.count());
  }

  /** Routes a request to the node holding `uuid` and waits for its answer (or the timeout). */
  private async request(
    id: number,
    replies: Promise<NodeReply[]>,
    uuid: string,
    request: Buffer,
    what: string,
  ): Promise<void> {
    let routed: boolean;
    try {
      routed = await this.cluster(what, (directory) => directory.route(uuid, request));
    } catch (error) {
      this.pending.finish(id);
      throw error;
    }
    if (!routed) this.pending.finish(id);
    const [reply] = await replies;
    if (!reply?.ok) throw new KwsInvalidConnectionError(uuid);
  }

  private async publishToAll(what: string, message: ClusterMessage): Promise<void> {
    const payload = encodeClusterMessage(message);
    await this.cluster(what, (directory) => directory.publish(directory.broadcastChannel, payload));
  }

  /** Runs a Redis call, turning any failure into a `KwsClusterUnavailableError`. */
  private async cluster<T>(
    what: string,
    call: (directory: ConnectionDirectory) => Promise<T>,
  ): Promise<T> {
    if (!this.directory || this.stopped) throw new KwsClusterUnavailableError(what);
    try {
      return await call(this.directory);
    } catch (error) {
      throw new KwsClusterUnavailableError(what, { cause: error });
    }
  }

  /** Claims every local uuid again; concurrent calls share one run; never rejects. */
  private join(): Promise<void> {
    if (this.stopped || !this.directory) return Promise.resolve();
    this.joining ??= this.rejoin(this.directory)
      .catch((error: unknown) => {
        this.resyncNeeded = true;
        this.onLost(error);
      })
      .finally(() => (this.joining = undefined));
    return this.joining;
  }

  private async rejoin(directory: ConnectionDirectory): Promise<void> {
    this.resyncNeeded = false;
    const uuids = Array.from(this.pool.values(), (kws) => kws.uuid);
    const taken = await directory.join(uuids);
    // Cut off long enough to count as dead, a node may find a uuid claimed elsewhere meanwhile:
    // the newer claim wins so a uuid names one connection in the cluster.
    for (const uuid of taken) {
      this.logger.warn(CLUSTER_UUID_TAKEN(uuid));
      this.pool.close(uuid, CloseCode.PolicyViolation, 'uuid taken');
    }
    this.lostLogged = false;
    this.logger.log(CLUSTER_JOINED(this.nodeId, uuids.length - taken.length));
  }

  private async beat(): Promise<void> {
    if (this.stopped || this.joining || this.connections?.commands.status !== 'ready') return;
    try {
      if (!(await this.directory!.heartbeat()) || this.resyncNeeded) await this.join();
    } catch (error) {
      this.onLost(error);
    }
  }

  private onLost(error: unknown): void {
    if (this.lostLogged || this.stopped) return;
    this.lostLogged = true;
    this.logger.warn(
      CLUSTER_CONNECTION_LOST(error instanceof Error ? error.message : String(error)),
    );
  }
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
