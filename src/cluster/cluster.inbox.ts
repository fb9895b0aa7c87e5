import { Logger } from '@nestjs/common';
import { KwsOutbound } from '../connection/outbound.message.js';
import type { KwsConnectionPool } from '../server/connection.pool.js';
import { ClusterMessageType, type ClusterMessage } from './messages/cluster-message.js';
import { decodeClusterMessage, encodeClusterMessage } from './messages/cluster-message.codec.js';
import type { ConnectionDirectory } from './connection.directory.js';
import type { PendingRequests } from './pending-requests.registry.js';

/**
 * What arrives on this node from the others: delivers it to the local pool and answers requests.
 * A message is decoded and framed once, however many local connections it goes to.
 */
export class ClusterInbox {
  private readonly logger = new Logger('KwsCluster');

  constructor(
    private readonly pool: KwsConnectionPool,
    private readonly directory: ConnectionDirectory,
    private readonly pending: PendingRequests,
  ) {}

  receive(buffer: Buffer): void {
    let message: ClusterMessage;
    try {
      message = decodeClusterMessage(buffer);
    } catch (error) {
      this.logger.warn(String(error));
      return;
    }
    // The sender's node delivered its own part directly (so `except` costs nothing).
    if ('origin' in message && message.origin === this.directory.node) return;
    switch (message.type) {
      case ClusterMessageType.Broadcast:
        this.pool.broadcast(
          new KwsOutbound(message.data, message.binary),
          message.except || undefined,
          message.room || undefined,
        );
        return;
      case ClusterMessageType.Fire:
        this.pool.fire(message.event, message.data);
        return;
      case ClusterMessageType.CloseAll:
        this.pool.closeAll(message.code, message.reason);
        return;
      case ClusterMessageType.Deliver: {
        const ok = this.pool.sendTo(message.uuid, new KwsOutbound(message.data, message.binary));
        this.reply(message.replyTo, message.id, ok, []);
        return;
      }
      case ClusterMessageType.DeliverList: {
        const outbound = new KwsOutbound(message.data, message.binary);
        // The list names every remote uuid of the call: this node serves those it holds.
        const reached = message.uuids.filter((uuid) => this.pool.sendTo(uuid, outbound));
        this.reply(message.replyTo, message.id, true, reached);
        return;
      }
      case ClusterMessageType.Close: {
        const ok = this.pool.close(message.uuid, message.code, message.reason);
        this.reply(message.replyTo, message.id, ok, []);
        return;
      }
      case ClusterMessageType.Reply:
        this.pending.settle(message.id, { ok: message.ok, uuids: message.uuids });
        return;
    }
  }

  private reply(node: string, id: number, ok: boolean, uuids: string[]): void {
    const answer = encodeClusterMessage({ type: ClusterMessageType.Reply, id, ok, uuids });
    // A lost reply times out on the asking node: nothing to do here.
    this.directory.publish(this.directory.nodeChannel(node), answer).catch(() => undefined);
  }
}
