import { Module } from '@nestjs/common';
import { KwsModule } from 'nestjs-kws';
import { ChatController } from './chat/chat.controller.js';
import { ChatListeners } from './chat/chat.listeners.js';
import { ChatRouter } from './chat/chat-router.js';
import { DirectMessages } from './chat/direct-messages.handler.js';

/** The gofiber socketio chat example as a Nest app: sockets on /ws/:id, HTTP on /users. */
@Module({
  imports: [
    // REDIS_URL set: cluster mode, so several instances share users, rooms and the online list.
    KwsModule.forRootAsync({
      useFactory: () => ({
        path: '/ws/:id',
        // Named events for the page's `direct` messages; the Go example's frames stay raw messages.
        parser: 'json',
        // A blip (network change, proxy restart) is not leaving: the page's session resumes with
        // the chat events it missed (docs/recovery.md).
        recovery: {},
        // The AsyncAPI document of these events on /asyncapi.json and /asyncapi.yaml (docs/asyncapi.md).
        asyncapi: { title: 'nestjs-kws chat sample', version: '1.0.0' },
        cluster: process.env.REDIS_URL
          ? { redis: process.env.REDIS_URL, keyPrefix: process.env.KWS_PREFIX }
          : undefined,
      }),
    }),
  ],
  controllers: [ChatController],
  providers: [ChatListeners, ChatRouter, DirectMessages],
})
export class AppModule {}
