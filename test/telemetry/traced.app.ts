import { ForbiddenException, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import {
  KwsEvent,
  KwsModule,
  OnKwsEvent,
  type KwsEventPayload,
  type KwsModuleOptions,
} from '../../src/index.js';

/** Listeners of the tracing specs: an echo, a failure, a refusal, and a span of the app's own. */
@Injectable()
export class TracedListeners {
  @OnKwsEvent(KwsEvent.Connect)
  connect({ kws }: KwsEventPayload): void {
    if (kws.query('deny') === '1') throw new ForbiddenException('Not you');
    // A span of the app's own, opened in a `connect` listener: a child of the connect span.
    trace.getTracer('app').startSpan('load profile').end();
  }

  @OnKwsEvent('echo')
  echo({ data }: KwsEventPayload): unknown {
    trace.getTracer('app').startSpan('inside echo').end();
    return data;
  }

  @OnKwsEvent('slow')
  async slow({ data }: KwsEventPayload): Promise<unknown> {
    await new Promise((resolve) => setImmediate(resolve));
    return data;
  }

  @OnKwsEvent('boom')
  boom(): never {
    throw new Error('listener blew up');
  }

  @OnKwsEvent('forbidden')
  forbidden(): never {
    throw new ForbiddenException('Nope');
  }
}

/** An app with the traced listeners on `/ws` (named events, `tracing: true` unless `options` says). */
export function tracedApp(options: KwsModuleOptions = {}): DynamicModule {
  @Module({})
  class TracedAppModule {}
  return {
    module: TracedAppModule,
    imports: [KwsModule.forRoot({ path: '/ws', parser: 'json', tracing: true, ...options })],
    providers: [TracedListeners],
  };
}
