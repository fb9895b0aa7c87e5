import { BadRequestException, Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { KwsServer } from 'nestjs-kws';
import { serverChat } from './chat-message.js';
import { deliverChat } from './chat-delivery.js';
import { ONLINE_ROOM_PREFIX } from './chat.listeners.js';

/** An online user: the id from the URL and the uuid of its connection. */
export interface OnlineUser {
  id: string;
  uuid: string;
}

/** Plain HTTP next to the sockets, through the injected `KwsServer`. */
@Controller()
export class ChatController {
  constructor(private readonly server: KwsServer) {}

  /**
   * Who is online, sorted by user id: the members of the users' rooms, on every node in cluster
   * mode (`REDIS_URL`), not only this one.
   */
  @Get('users')
  async users(): Promise<OnlineUser[]> {
    const rooms = (await this.server.rooms()).filter((room) => room.startsWith(ONLINE_ROOM_PREFIX));
    const users = await Promise.all(
      rooms.map(async (room) => {
        const id = room.slice(ONLINE_ROOM_PREFIX.length);
        return (await this.server.roomMembers(room)).map((uuid) => ({ id, uuid }));
      }),
    );
    return users.flat().sort((a, b) => a.id.localeCompare(b.id) || a.uuid.localeCompare(b.uuid));
  }

  /** Sends `{ text }` to every connected user. */
  @Post('announcements')
  @HttpCode(202)
  async announce(@Body() body: { text?: unknown } | undefined): Promise<{ recipients: number }> {
    const text = body?.text;
    if (typeof text !== 'string' || text.trim() === '') {
      throw new BadRequestException('Expected a JSON body {"text": "..."}');
    }
    const failed = await deliverChat(this.server, serverChat('', 'announcement', text), '');
    return { recipients: this.server.localCount - failed.length };
  }
}
