import { Injectable, Logger } from '@nestjs/common';
import { KwsEvent, KwsMessageType, OnKwsEvent, type Kws, type KwsEventPayload } from 'nestjs-kws';
import { ChatDirectory } from './chat-directory.js';
import { parseChatMessage, serverMessage, type ChatMessage } from './chat-message.js';
import { USER_ID } from './chat.listeners.js';

/** The Go example's message callback: fire the custom event, then route to the recipient. */
@Injectable()
export class ChatRouter {
  private readonly logger = new Logger('Chat');

  constructor(private readonly directory: ChatDirectory) {}

  @OnKwsEvent(KwsEvent.Message)
  async route({ kws, data, isBinary }: KwsEventPayload): Promise<void> {
    const userId = kws.getStringAttribute(USER_ID);
    // Bytes have no envelope to route by: everyone gets them, the sender too (a round trip).
    if (isBinary) {
      await kws.broadcast(data, false, KwsMessageType.Binary);
      return;
    }
    const parsed = parseChatMessage(data.toString());
    if (typeof parsed === 'string') {
      this.logger.warn(`Message event - User: ${userId} - ${parsed}`);
      kws.emit(serverMessage(userId, 'error', parsed));
      return;
    }
    // The sender is who the connection says it is, whatever the frame claims.
    const message: ChatMessage = { ...parsed, from: userId };
    if (message.event) kws.fire(message.event, message.data);
    if (message.to === '') await kws.broadcast(JSON.stringify(message), true);
    else await this.sendTo(kws, message);
  }

  private async sendTo(kws: Kws, message: ChatMessage): Promise<void> {
    const uuid = this.directory.uuidOf(message.to);
    try {
      if (uuid === undefined) throw new Error(`not online`);
      await kws.emitTo(uuid, JSON.stringify(message), KwsMessageType.Text);
    } catch {
      // A stale uuid also fires `error` on the sender (logged by ChatListeners); tell the user.
      kws.emit(serverMessage(message.from, 'error', `User ${message.to} is not online`));
    }
  }
}
