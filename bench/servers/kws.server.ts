// nestjs-kws through its public API only: a Nest app with KwsModule, an echo listener, and
// KwsServer.broadcast for the fan-out.
import {
  Injectable,
  Module,
  UseGuards,
  UsePipes,
  ValidationPipe,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { MessageBody } from '@nestjs/websockets';
import { IsString, MaxLength } from 'class-validator';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import {
  KwsEvent,
  KwsMessageType,
  KwsModule,
  KwsServer,
  OnKwsEvent,
  type KwsEventPayload,
  type Kws,
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

// KWS_BENCH_EVENTS (the named-events section): 'plain' answers `echo` requests from a listener
// with no enhancer (called directly); 'pipeline' runs the same through a guard and a
// ValidationPipe on a DTO, the way a Nest app validates its input.
class EchoMessage {
  @IsString()
  @MaxLength(500)
  text!: string;
}

@Injectable()
class OpenConnectionGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToWs().getClient<Kws>().isAlive();
  }
}

@Injectable()
class PlainEcho {
  @OnKwsEvent('echo')
  echo({ data }: KwsEventPayload<EchoMessage>): EchoMessage {
    return data;
  }
}

@Injectable()
class PipelineEcho {
  @OnKwsEvent('echo')
  @UseGuards(OpenConnectionGuard)
  @UsePipes(new ValidationPipe())
  echo(@MessageBody() message: EchoMessage): EchoMessage {
    return message;
  }
}

const EVENTS = process.env.KWS_BENCH_EVENTS;
const eventListeners =
  EVENTS === 'plain' ? [PlainEcho] : EVENTS === 'pipeline' ? [PipelineEcho] : [];

// KWS_BENCH_METRICS (the metrics-cost section): 'off' (metrics: false), 'counters' (the default),
// 'prometheus' (counters + the prom-client export and its histograms).
const METRICS: Record<string, KwsModuleOptions['metrics']> = {
  off: false,
  counters: undefined,
  prometheus: { prometheus: true },
};

// KWS_BENCH_TRACING (the tracing-cost section): '1' is `tracing: true` with an SDK registered as an
// app would (AsyncLocalStorage context, W3C propagator, a batch span processor; its exporter drops
// the spans, so the figure is what making them costs, not shipping them); 'sdk' registers the same
// SDK and turns its context manager on (as any other instrumentation would) with tracing off.
const TRACING = process.env.KWS_BENCH_TRACING === '1';
if (TRACING || process.env.KWS_BENCH_TRACING === 'sdk') await registerTracingSdk();

async function registerTracingSdk(): Promise<void> {
  const { context, propagation, trace } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const dropping = {
    export: (_spans: unknown[], done: (result: { code: number }) => void) => done({ code: 0 }),
    shutdown: () => Promise.resolve(),
  };
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping)] }),
  );
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  // AsyncLocalStorage tracks every async resource from its first use on.
  context.with(context.active(), () => undefined);
}

@Module({
  imports: [
    KwsModule.forRoot({
      path: '/ws',
      // The page the browser-like load client says it comes from (a real app names its own),
      // and the clients that send no Origin (a list alone would refuse those).
      origins: (origin) => origin === undefined || origin === 'https://app.example.com',
      metrics: METRICS[process.env.KWS_BENCH_METRICS ?? 'counters'],
      tracing: TRACING,
      // KWS_BENCH_INSPECTOR (the inspector-cost script): the page on, nobody watching it.
      inspector: process.env.KWS_BENCH_INSPECTOR === '1' ? { guard: () => false } : undefined,
      ...(EVENTS ? { parser: 'json' as const } : {}),
      // KWS_BENCH_RATE_LIMIT (the flood section): frames per second each connection may send.
      rateLimit: process.env.KWS_BENCH_RATE_LIMIT
        ? { messages: Number(process.env.KWS_BENCH_RATE_LIMIT), per: 1_000 }
        : undefined,
    }),
  ],
  providers: EVENTS ? eventListeners : [EchoListener],
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
