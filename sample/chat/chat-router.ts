import { Injectable, Logger } from '@nestjs/common';
import {
  KwsEmits,
  KwsEvent,
  KwsMessageType,
  KwsServer,
  OnKwsEvent,
  type Kws,
  type KwsEventPayload,
} from 'nestjs-kws';
import {
  CHAT_MESSAGE_SCHEMA,
  parseChatMessage,
  serverChat,
  type ChatMessage,
} from './chat-message.js';
import { deliverChat, emitChat } from './chat-delivery.js';
import { USER_ID, userRoom } from './chat.listeners.js';

/** The Go example's message callback: fire the custom event, then route to the recipient. */
@Injectable()
@KwsEmits('chat', CHAT_MESSAGE_SCHEMA, {
  description: 'A chat message, to pages that connected with `?events=1`.',
})
export class ChatRouter {
  private readonly logger = new Logger('Chat');

  constructor(private readonly server: KwsServer) {}

  /** The routing of each connection's previous message: one connection's messages stay in order. */
  private readonly queues = new WeakMap<Kws, Promise<void>>();

  @OnKwsEvent(KwsEvent.Message)
  route(payload: KwsEventPayload): Promise<void> {
    // A direct message waits for the online check; a broadcast sent after it must not overtake it.
    const routed = (this.queues.get(payload.kws) ?? Promise.resolve()).then(() =>
      this.routeOne(payload),
    );
    this.queues.set(
      payload.kws,
      routed.catch(() => undefined),
    );
    return routed;
  }

  private async routeOne({ kws, data, isBinary }: KwsEventPayload): Promise<void> {
    const userId = kws.getStringAttribute(USER_ID);
    // Bytes have no envelope to route by: everyone gets them, the sender too (a round trip).
    if (isBinary) {
      await kws.broadcast(data, false, KwsMessageType.Binary);
      return;
    }
    const parsed = parseChatMessage(data.toString());
    if (typeof parsed === 'string') {
      this.logger.warn(`Message event - User: ${userId} - ${parsed}`);
      emitChat(kws, serverChat(userId, 'error', parsed));
      return;
    }
    // The sender is who the connection says it is, whatever the frame claims.
    const message: ChatMessage = { ...parsed, from: userId };
    if (message.event) kws.fire(message.event, message.data);
    if (message.to === '') await deliverChat(this.server, message, '', kws.uuid);
    else await this.sendTo(kws, message);
  }

  /** To every connection of the recipient (each of their tabs), on any node. */
  private async sendTo(kws: Kws, message: ChatMessage): Promise<void> {
    const room = userRoom(message.to);
    if ((await this.server.roomSize(room)) === 0) {
      emitChat(kws, serverChat(message.from, 'error', `User ${message.to} is not online`));
      return;
    }
    await deliverChat(this.server, message, message.to);
  }
}
