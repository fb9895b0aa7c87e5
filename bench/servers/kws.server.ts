// nestjs-kws through its public API only: a Nest app with KwsModule, an echo listener, and
// KwsServer.broadcast for the fan-out.
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import {
  KwsEvent,
  KwsMessageType,
  KwsModule,
  KwsServer,
  OnKwsEvent,
  type KwsEventPayload,
  type KwsModuleOptions,
} from 'nestjs-kws';
import { BROADCAST_MARK, runBenchServer } from './server-harness.js';

@Injectable()
class EchoListener {
  @OnKwsEvent(KwsEvent.Message)
  echo({ kws, data, isBinary }: KwsEventPayload): void {
    if (!isBinary && data[0] === BROADCAST_MARK)
      void kws.broadcast(data, false, KwsMessageType.Text);
    else kws.emit(data, isBinary ? KwsMessageType.Binary : KwsMessageType.Text);
  }
}

// KWS_BENCH_METRICS (the metrics-cost section): 'off' (metrics: false), 'counters' (the default),
// 'prometheus' (counters + the prom-client export and its histograms).
const METRICS: Record<string, KwsModuleOptions['metrics']> = {
  off: false,
  counters: undefined,
  prometheus: { prometheus: true },
};

@Module({
  imports: [
    KwsModule.forRoot({
      path: '/ws',
      metrics: METRICS[process.env.KWS_BENCH_METRICS ?? 'counters'],
    }),
  ],
  providers: [EchoListener],
})
class BenchKwsModule {}

runBenchServer(async () => {
  const app = await NestFactory.create(BenchKwsModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const kws = app.get(KwsServer);
  return {
    port: (app.getHttpServer().address() as AddressInfo).port,
    broadcast: (payload) => {
      void kws.broadcast(payload);
    },
    close: () => app.close(),
  };
});
