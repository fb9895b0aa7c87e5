import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import {
  KwsEvent,
  KwsModule,
  OnKwsEvent,
  type KwsEventPayload,
  type KwsModuleOptions,
} from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';

/**
 * Listeners that hand a client's data straight back, the way apps do: as an acknowledgement, and
 * as a Nest `WsResponse` `{ event, data }` (no id). Connections and errors are recorded.
 */
@Injectable()
export class EchoBackListeners {
  constructor(readonly log: EventLog) {}

  @OnKwsEvent([KwsEvent.Connect, KwsEvent.Error, KwsEvent.Disconnect])
  record(payload: KwsEventPayload): void {
    this.log.record(payload);
  }

  @OnKwsEvent('echo')
  echo({ data }: KwsEventPayload<unknown>): unknown {
    return data;
  }

  /** Joins the rooms the client names; answers with how many rooms it is in. */
  @OnKwsEvent('join')
  join({ kws, data }: KwsEventPayload<string[]>): number {
    kws.join(...data);
    return kws.rooms().length;
  }

  @OnKwsEvent('echo-response')
  echoResponse({ data }: KwsEventPayload<unknown>): { event: string; data: unknown } {
    return { event: 'echoed', data };
  }

  @OnKwsEvent('echo-response-later')
  async echoResponseLater({
    data,
  }: KwsEventPayload<unknown>): Promise<{ event: string; data: unknown }> {
    await new Promise((resolve) => setImmediate(resolve));
    return { event: 'echoed', data };
  }
}

/** The listeners above on a JSON-parser endpoint at /ws (options merged in). */
export function hostileApp(options: KwsModuleOptions = {}): DynamicModule {
  @Module({})
  class HostileAppModule {}
  return {
    module: HostileAppModule,
    imports: [KwsModule.forRoot({ path: '/ws', parser: 'json', ...options })],
    providers: [EventLog, EchoBackListeners],
  };
}
