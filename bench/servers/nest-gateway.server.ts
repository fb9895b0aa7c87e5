// What Nest users have today: a @WebSocketGateway on @nestjs/platform-ws's WsAdapter, sharing the
// app's HTTP server. Broadcast loops over the gateway's `ws` server clients, as its docs show.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import {
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { AddressInfo } from 'node:net';
import type { WebSocketServer as WsServer } from 'ws';
import { runBenchServer } from './server-harness.js';

@WebSocketGateway({ path: '/ws' })
class BenchGateway {
  @WebSocketServer()
  server!: WsServer;

  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown): { event: string; data: unknown } {
    return { event: 'echo', data };
  }

  @SubscribeMessage('broadcast')
  broadcast(@MessageBody() data: string): void {
    for (const client of this.server.clients) client.send(data);
  }
}

@Module({ providers: [BenchGateway] })
class BenchGatewayModule {}

runBenchServer(async () => {
  const app = await NestFactory.create(BenchGatewayModule, { logger: false });
  app.useWebSocketAdapter(new WsAdapter(app));
  await app.listen(0, '127.0.0.1');
  const gateway = app.get(BenchGateway);
  return {
    port: (app.getHttpServer().address() as AddressInfo).port,
    broadcast: (payload) => gateway.broadcast(payload),
    close: () => app.close(),
  };
});
