import { BadRequestException, Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { KwsServer } from 'nestjs-kws';
import { serverMessage } from './chat-message.js';
import { USER_ID } from './chat.listeners.js';

/** An online user: the id from the URL and the uuid of its connection. */
export interface OnlineUser {
  id: string;
  uuid: string;
}

/** Plain HTTP next to the sockets, through the injected `KwsServer`. */
@Controller()
export class ChatController {
  constructor(private readonly server: KwsServer) {}

  /** Who is online, sorted by user id. */
  @Get('users')
  users(): OnlineUser[] {
    return [...this.server.connections()]
      .filter((kws) => kws.isAlive())
      .map((kws) => ({ id: kws.getStringAttribute(USER_ID), uuid: kws.uuid }))
      .filter((user) => user.id !== '')
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Sends `{ text }` to every connected user. */
  @Post('announcements')
  @HttpCode(202)
  async announce(@Body() body: { text?: unknown } | undefined): Promise<{ recipients: number }> {
    const text = body?.text;
    if (typeof text !== 'string' || text.trim() === '') {
      throw new BadRequestException('Expected a JSON body {"text": "..."}');
    }
    const failed = await this.server.broadcast(serverMessage('', 'announcement', text));
    return { recipients: this.server.localCount - failed.length };
  }
}
