import { Module } from '@nestjs/common';
import { KwsModule } from 'nestjs-kws';
import { ChatController } from './chat/chat.controller.js';
import { ChatDirectory } from './chat/chat-directory.js';
import { ChatListeners } from './chat/chat.listeners.js';
import { ChatRouter } from './chat/chat-router.js';

/** The gofiber socketio chat example as a Nest app: sockets on /ws/:id, HTTP on /users. */
@Module({
  imports: [KwsModule.forRoot({ path: '/ws/:id' })],
  controllers: [ChatController],
  providers: [ChatDirectory, ChatListeners, ChatRouter],
})
export class AppModule {}
