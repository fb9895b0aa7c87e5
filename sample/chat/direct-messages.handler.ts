import { Injectable, NotFoundException, UsePipes, ValidationPipe } from '@nestjs/common';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { Kws, KwsServer, OnKwsEvent } from 'nestjs-kws';
import { SERVER, type ChatMessage } from './chat-message.js';
import { USER_ID, userRoom } from './chat.listeners.js';
import { deliverChat } from './chat-delivery.js';

/** What the page sends as the named event `direct`. */
export class DirectMessage {
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  to!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(4000)
  text!: string;
}

/** The acknowledgement the page shows as a receipt. */
export interface DirectReceipt {
  /** How many connections of the recipient (tabs, devices) it was written to. */
  delivered: number;
}

/**
 * Beyond the Go example: direct messages as a named event with an acknowledgement, so the page
 * can show "delivered" (or why not). The recipient's pages get the Go example's frame, as before.
 */
@Injectable()
export class DirectMessages {
  constructor(private readonly server: KwsServer) {}

  @OnKwsEvent('direct')
  @UsePipes(new ValidationPipe())
  async direct(
    @MessageBody() message: DirectMessage,
    @ConnectedSocket() kws: Kws,
  ): Promise<DirectReceipt> {
    const from = kws.getStringAttribute(USER_ID);
    const room = userRoom(message.to);
    const delivered = await this.server.roomSize(room);
    if (delivered === 0 || message.to === SERVER)
      throw new NotFoundException(`User ${message.to} is not online`);
    const frame: ChatMessage = { from, to: message.to, event: '', data: message.text };
    await deliverChat(this.server, frame, message.to);
    return { delivered };
  }
}
