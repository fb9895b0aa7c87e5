import { BadRequestException, ForbiddenException, Injectable } from '@nestjs/common';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import {
  Kws,
  KwsChannelName,
  KwsChannels,
  KwsPresence,
  OnKwsChannelEvent,
  OnKwsJoin,
} from 'nestjs-kws';
import { USER_ID } from './chat.listeners.js';

/** The types of a chat room, as the page uses them (docs/channels.md). */
export interface ChatRoom {
  reply: { room: string };
  server: { said(message: { from: string; text: string }): void };
  client: { say(message: { text: string }): { ok: true } };
}

/** Longest room message, in characters. */
const MAX_TEXT = 2_000;

/**
 * Rooms as channels: a page joins `room:lobby` once connected; `room:staff` is for users whose id
 * starts with `staff` (anyone else is refused with the reason). Each room keeps its last 50
 * messages for the pages that join (or reload) later, and its presence is the "Online" list: one
 * entry per user, one meta per tab.
 */
@Injectable()
export class ChatRooms {
  constructor(
    private readonly channels: KwsChannels,
    private readonly presence: KwsPresence,
  ) {}

  @OnKwsJoin('room:*', { history: { size: 50 } })
  join(@ConnectedSocket() kws: Kws, @KwsChannelName() room: string): ChatRoom['reply'] {
    const user = kws.getStringAttribute(USER_ID);
    if (room === 'room:staff' && !user.startsWith('staff')) {
      throw new ForbiddenException('The staff room is for staff only');
    }
    this.presence.track(kws, room, user, { since: Date.now() });
    return { room };
  }

  @OnKwsChannelEvent<ChatRoom>('room:*', 'say')
  async say(
    @ConnectedSocket() kws: Kws,
    @MessageBody() message: { text?: unknown } | undefined,
    @KwsChannelName() room: string,
  ): Promise<{ ok: true }> {
    const text = message?.text;
    if (typeof text !== 'string' || text === '' || text.length > MAX_TEXT) {
      throw new BadRequestException(`A room message is 1 to ${MAX_TEXT} characters of text`);
    }
    // The sender is who the connection says it is.
    await this.channels
      .to<ChatRoom>(room)
      .emit('said', { from: kws.getStringAttribute(USER_ID), text });
    return { ok: true };
  }
}
