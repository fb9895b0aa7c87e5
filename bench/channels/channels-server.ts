// The server of the channels bench, in a process of its own (forked by run-channels-bench.ts):
// `room:*` joins track presence under params.user and keep history; `solo:*` joins do nothing
// else. The orchestrator reads this process's CPU between steps.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import { Kws, KwsChannelName, KwsChannels, KwsModule, KwsPresence, OnKwsJoin } from 'nestjs-kws';
import type { AddressInfo } from 'node:net';
import { serveIpc } from '../ipc.js';

@Injectable()
class BenchChannels {
  constructor(private readonly presence: KwsPresence) {}

  @OnKwsJoin('room:*', { history: { size: 100 } })
  room(
    @ConnectedSocket() kws: Kws,
    @MessageBody() params: { user: string },
    @KwsChannelName() channel: string,
  ): boolean {
    this.presence.track(kws, channel, params.user, { since: Date.now() });
    return true;
  }

  @OnKwsJoin('solo:*')
  solo(): boolean {
    return true;
  }
}

@Module({
  imports: [
    KwsModule.forRoot({ path: '/ws', parser: 'json', channels: { maxPerConnection: 1000 } }),
  ],
  providers: [BenchChannels],
})
class BenchModule {}

const app = await NestFactory.create(BenchModule, { logger: ['error', 'warn'] });
await app.listen(0, '127.0.0.1');
const channels = app.get(KwsChannels);
serveIpc({
  port: () => (app.getHttpServer().address() as AddressInfo).port,
  cpu: () => {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  },
  fill: async ({ channel, count }: { channel: string; count: number }) => {
    for (let i = 0; i < count; i++)
      await channels.broadcast(channel, 'line', { i, text: 'x'.repeat(64) });
  },
  stop: async () => {
    await app.close();
    setImmediate(() => process.exit(0));
  },
});
