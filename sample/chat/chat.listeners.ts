import { Injectable, Logger } from '@nestjs/common';
import { KwsEvent, OnKwsEvent, type KwsEventPayload } from 'nestjs-kws';
import { ChatDirectory } from './chat-directory.js';
import { serverMessage } from './chat-message.js';

export const USER_ID = 'user_id';
/** Each connection joins the room of its user: the online list, cluster-wide (see ChatController). */
export const ONLINE_ROOM_PREFIX = 'user:';

/** Presence: the Go example's connect, disconnect and close callbacks. */
@Injectable()
export class ChatListeners {
  private readonly logger = new Logger('Chat');

  constructor(private readonly directory: ChatDirectory) {}

  @OnKwsEvent(KwsEvent.Connect)
  async connect({ kws }: KwsEventPayload): Promise<void> {
    const userId = kws.params('id');
    this.directory.join(userId, kws.uuid);
    kws.setAttribute(USER_ID, userId);
    kws.join(`${ONLINE_ROOM_PREFIX}${userId}`);
    this.logger.log(`Connection event - User: ${userId}`);
    await kws.broadcast(`New user connected: ${userId} and UUID: ${kws.uuid}`, true);
    kws.emit(`Hello user: ${userId} with UUID: ${kws.uuid}`);
  }

  /** `disconnect` fires for every end; `close` first when the server closed it (as in Go). */
  @OnKwsEvent([KwsEvent.Disconnect, KwsEvent.Close])
  async leave({ kws, name, error }: KwsEventPayload): Promise<void> {
    const userId = kws.getStringAttribute(USER_ID);
    this.directory.leave(userId, kws.uuid);
    this.logger.log(`${name} event - User: ${userId}${error ? ` (${error.message})` : ''}`);
    // Pages refresh their "online" list on this; `close` is followed by `disconnect`, announce once.
    if (name === KwsEvent.Disconnect) {
      await kws.broadcast(serverMessage('', 'user-left', userId), true);
    }
  }

  @OnKwsEvent(KwsEvent.Error)
  error({ kws, error }: KwsEventPayload): void {
    this.logger.warn(`Error event - User: ${kws.getStringAttribute(USER_ID)}: ${error?.message}`);
  }

  /** The Go example's "CUSTOM_EVENT" listener; it answers so a page can see it ran. */
  @OnKwsEvent('CUSTOM_EVENT')
  custom({ kws, data }: KwsEventPayload): void {
    const userId = kws.getStringAttribute(USER_ID);
    this.logger.log(`Custom event - User: ${userId}`);
    kws.emit(serverMessage(userId, 'CUSTOM_EVENT', `CUSTOM_EVENT listener ran with data: ${data}`));
  }
}
