import { Injectable, Logger } from '@nestjs/common';
import { KwsEvent, KwsServer, OnKwsEvent, type KwsEventPayload } from 'nestjs-kws';
import { serverChat } from './chat-message.js';
import { deliverChat, emitChat, joinFormatRooms } from './chat-delivery.js';

export const USER_ID = 'user_id';
/**
 * Each connection joins the room of its user: one user may have several (two tabs, a phone). The
 * room is where direct messages go and the online list, cluster-wide (see ChatController).
 */
export const ONLINE_ROOM_PREFIX = 'user:';

/** The room of every connection of one user. */
export function userRoom(userId: string): string {
  return `${ONLINE_ROOM_PREFIX}${userId}`;
}

/** Presence: the Go example's connect, disconnect and close callbacks. */
@Injectable()
export class ChatListeners {
  private readonly logger = new Logger('Chat');

  constructor(private readonly server: KwsServer) {}

  @OnKwsEvent(KwsEvent.Connect)
  async connect({ kws }: KwsEventPayload): Promise<void> {
    const userId = kws.params('id');
    kws.setAttribute(USER_ID, userId);
    kws.join(userRoom(userId));
    joinFormatRooms(kws, userId);
    this.logger.log(`Connection event - User: ${userId}`);
    await kws.broadcast(`New user connected: ${userId} and UUID: ${kws.uuid}`, true);
    kws.emit(`Hello user: ${userId} with UUID: ${kws.uuid}`);
  }

  /** `disconnect` fires for every end; `close` first when the server closed it (as in Go). */
  @OnKwsEvent([KwsEvent.Disconnect, KwsEvent.Close])
  async leave({ kws, name, error }: KwsEventPayload): Promise<void> {
    const userId = kws.getStringAttribute(USER_ID);
    this.logger.log(`${name} event - User: ${userId}${error ? ` (${error.message})` : ''}`);
    // `close` is followed by `disconnect`: announce once, and only when the user's last
    // connection is gone (closing one of two tabs is not leaving). Pages refresh their list on it.
    if (name !== KwsEvent.Disconnect) return;
    const others = (await this.server.roomMembers(userRoom(userId))).filter((u) => u !== kws.uuid);
    if (others.length === 0)
      await deliverChat(this.server, serverChat('', 'user-left', userId), '');
  }

  /** With recovery on, a page whose network blinked is back: no leave, no new connection. */
  @OnKwsEvent(KwsEvent.Resume)
  resume({ kws }: KwsEventPayload): void {
    this.logger.log(`Resume event - User: ${kws.getStringAttribute(USER_ID)}`);
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
    emitChat(
      kws,
      serverChat(userId, 'CUSTOM_EVENT', `CUSTOM_EVENT listener ran with data: ${data}`),
    );
  }
}
