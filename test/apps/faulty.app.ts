import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { KwsEvent, KwsModule, OnKwsEvent, type KwsEventPayload } from '../../src/index.js';
import { EventLog } from './event-log.js';

/** Listeners that fail on purpose: "throw" throws, "reject" rejects; a healthy listener runs beside them. */
@Injectable()
export class FaultyListeners {
  /** When set, the `error` listener itself throws (to prove there is no loop). */
  errorListenerThrows = false;

  constructor(readonly log: EventLog) {}

  @OnKwsEvent(KwsEvent.Message)
  fails({ data }: KwsEventPayload): Promise<void> | void {
    const text = data.toString();
    if (text === 'throw') throw new Error('listener threw');
    if (text === 'reject') return Promise.reject(new Error('listener rejected'));
  }

  @OnKwsEvent(KwsEvent.Message)
  healthy({ kws, data }: KwsEventPayload): void {
    kws.emit(`still here after ${data.toString()}`);
  }

  @OnKwsEvent([KwsEvent.Error, KwsEvent.Disconnect])
  record(payload: KwsEventPayload): void {
    this.log.record(payload);
    if (payload.name === KwsEvent.Error && this.errorListenerThrows) {
      throw new Error('error listener threw');
    }
  }
}

export function faultyApp(): DynamicModule {
  @Module({})
  class FaultyAppModule {}
  return {
    module: FaultyAppModule,
    imports: [KwsModule.forRoot({ path: '/ws' })],
    providers: [EventLog, FaultyListeners],
  };
}
