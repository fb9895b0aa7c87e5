import { Logger } from '@nestjs/common';
import { KwsAckError } from '../errors/kws-ack.error.js';
import { KwsInvalidConnectionError } from '../errors/kws-invalid-connection.error.js';
import { KwsTimeoutError } from '../errors/kws-timeout.error.js';
import type { KwsEventPacket } from '../events/kws-packet.interface.js';
import { KwsOutbound } from '../connection/outbound.message.js';
import { describeKws } from '../connection/kws.description.js';
import type { KwsConnectionPool } from '../server/connection.pool.js';
import type { KwsDelivery } from '../server/connection.pool.js';
import {
  ClusterMessageType,
  ReplyStatus,
  type ClusterMessage,
  type Sequenced,
} from './messages/cluster-message.js';
import {
  decodeClusterMessage,
  encodeClusterMessage,
  UnreadableClusterMessageError,
} from './messages/cluster-message.codec.js';
import type { ConnectionDirectory } from './connection.directory.js';
import { clusterTracing } from '../telemetry/cluster.trace.js';

/** Where the inbox finds this node's id and the directory it replies through. */
export interface ClusterInboxNode {
  readonly nodeId: string;
  readonly directory: ConnectionDirectory | undefined;
}
import type { PendingRequests } from './pending-requests.registry.js';

/** What the inbox tells its broker about. */
export interface ClusterInboxEvents {
  /** A node announced it is leaving cleanly. */
  nodeLeft(node: string): void;
  /** A numbered message arrived (broadcast channel, or `room`'s channel): see `GapDetector`. */
  numbered(message: Sequenced, room: string | undefined): void;
  /** A message could not be read (another protocol version, or garbage). */
  unreadable(): void;
}

const EMPTY = Buffer.alloc(0);

const STATUS: Record<KwsDelivery, ReplyStatus> = {
  sent: ReplyStatus.Ok,
  unknown: ReplyStatus.Unknown,
  dropped: ReplyStatus.Dropped,
};

/**
 * What arrives on this node from the others: delivers it to the local pool and answers requests.
 * A message is decoded and framed once, however many local connections it goes to.
 */
export class ClusterInbox {
  private readonly logger = new Logger('KwsCluster');
  /** Protocol versions already reported, so a mixed cluster logs each once, not per message. */
  private readonly reportedVersions = new Set<number>();

  constructor(
    private readonly pool: KwsConnectionPool,
    private readonly node: ClusterInboxNode,
    private readonly pending: PendingRequests,
    private readonly events: ClusterInboxEvents,
  ) {}

  receive(buffer: Buffer): void {
    let message: ReturnType<typeof decodeClusterMessage>;
    try {
      message = decodeClusterMessage(buffer);
    } catch (error) {
      this.events.unreadable();
      if (!(error instanceof UnreadableClusterMessageError)) {
        this.logger.error(`Unreadable cluster message: ${String(error)}`);
      } else if (!this.reportedVersions.has(error.version)) {
        this.reportedVersions.add(error.version);
        this.logger.error(error.message);
      }
      return;
    }
    // The sender's node delivered its own part directly (so `except` costs nothing).
    if ('origin' in message && message.origin === this.node.nodeId) return;
    const hop = message.trace === undefined ? undefined : clusterTracing.hop;
    if (hop === undefined) this.deliver(message);
    else hop.process(message, message.trace!, () => this.deliver(message));
  }

  private deliver(message: ClusterMessage): void {
    switch (message.type) {
      case ClusterMessageType.Broadcast:
        this.events.numbered(message, message.room || undefined);
        this.pool.broadcast(
          new KwsOutbound(message.data, message.binary),
          message.except || undefined,
          message.room || undefined,
        );
        return;
      case ClusterMessageType.Fire:
        this.events.numbered(message, undefined);
        this.pool.fire(message.event, message.data);
        return;
      case ClusterMessageType.CloseAll:
        this.events.numbered(message, undefined);
        this.pool.closeAll(message.code, message.reason);
        return;
      case ClusterMessageType.Deliver: {
        const outbound = new KwsOutbound(message.data, message.binary);
        this.reply(message.replyTo, message.id, STATUS[this.pool.deliver(message.uuid, outbound)]);
        return;
      }
      case ClusterMessageType.DeliverList: {
        const outbound = new KwsOutbound(message.data, message.binary);
        // The list names every remote uuid of the call: this node serves those it holds.
        const reached = message.uuids.filter((uuid) => this.pool.sendTo(uuid, outbound));
        this.reply(message.replyTo, message.id, ReplyStatus.Ok, reached);
        return;
      }
      case ClusterMessageType.Close: {
        const ok = this.pool.close(message.uuid, message.code, message.reason);
        this.reply(message.replyTo, message.id, ok ? ReplyStatus.Ok : ReplyStatus.Unknown);
        return;
      }
      case ClusterMessageType.Reply:
        this.pending.settle(message.id, message);
        return;
      case ClusterMessageType.Request:
        void this.request(message);
        return;
      case ClusterMessageType.RoomJoin:
      case ClusterMessageType.RoomLeave: {
        const kws = this.pool.get(message.uuid);
        if (!kws?.isAlive()) return this.reply(message.replyTo, message.id, ReplyStatus.Unknown);
        try {
          if (message.type === ClusterMessageType.RoomJoin) kws.join(...message.rooms);
          else kws.leave(...message.rooms);
        } catch (error) {
          // Past maxRoomsPerConnection (or a bad name): the asking node rejects with this text.
          const text = error instanceof Error ? error.message : 'join failed';
          return this.reply(message.replyTo, message.id, ReplyStatus.Failed, [], Buffer.from(text));
        }
        this.reply(message.replyTo, message.id, ReplyStatus.Ok);
        return;
      }
      case ClusterMessageType.Leave:
        this.events.nodeLeft(message.origin);
        return;
      case ClusterMessageType.Describe: {
        const kws = this.pool.get(message.uuid);
        if (!kws?.isAlive()) return this.reply(message.replyTo, message.id, ReplyStatus.Unknown);
        const json = JSON.stringify(describeKws(kws, this.node.nodeId));
        this.reply(message.replyTo, message.id, ReplyStatus.Ok, [], Buffer.from(json));
        return;
      }
    }
  }

  /** Sends a named event to a local connection and replies with the client's answer. */
  private async request(message: Extract<ClusterMessage, { type: 9 }>): Promise<void> {
    const { replyTo, id, uuid, timeoutMs } = message;
    const kws = this.pool.get(uuid);
    if (!kws) return this.reply(replyTo, id, ReplyStatus.Unknown);
    try {
      const packet = JSON.parse(message.packet.toString()) as KwsEventPacket;
      const data = await kws.request(packet, { timeout: timeoutMs });
      const json = data === undefined ? '' : JSON.stringify(data);
      this.reply(replyTo, id, ReplyStatus.Ok, [], Buffer.from(json));
    } catch (error) {
      if (error instanceof KwsTimeoutError) return this.reply(replyTo, id, ReplyStatus.Timeout);
      if (error instanceof KwsInvalidConnectionError) {
        return this.reply(replyTo, id, ReplyStatus.Unknown);
      }
      if (error instanceof KwsAckError) {
        const json = JSON.stringify({ message: error.message, status: error.status });
        return this.reply(replyTo, id, ReplyStatus.AckError, [], Buffer.from(json));
      }
      const text = error instanceof Error ? error.message : String(error);
      this.reply(replyTo, id, ReplyStatus.Failed, [], Buffer.from(text));
    }
  }

  private reply(
    node: string,
    id: number,
    status: ReplyStatus,
    uuids: string[] = [],
    data: Buffer = EMPTY,
  ): void {
    const answer = encodeClusterMessage({
      type: ClusterMessageType.Reply,
      id,
      status,
      uuids,
      data,
    });
    // A lost reply times out on the asking node: nothing to do here.
    const directory = this.node.directory;
    directory?.publish(directory.nodeChannel(node), answer).catch(() => undefined);
  }
}
