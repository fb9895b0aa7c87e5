import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import {
  KwsEvent,
  KwsModule,
  OnKwsEvent,
  type KwsEventPayload,
  type KwsModuleOptions,
} from '../../src/index.js';
import { EventLog } from './event-log.js';

/**
 * Records every built-in event and answers "echo:<text>" to each text message; a message "fire:X"
 * fires custom event X on the sender.
 */
@Injectable()
export class EchoListeners {
  constructor(readonly log: EventLog) {}

  @OnKwsEvent([
    KwsEvent.Connect,
    KwsEvent.Message,
    KwsEvent.Ping,
    KwsEvent.Pong,
    KwsEvent.Disconnect,
    KwsEvent.Close,
    KwsEvent.Error,
    KwsEvent.Drain,
  ])
  record(payload: KwsEventPayload): void {
    this.log.record(payload);
  }

  @OnKwsEvent(KwsEvent.Message)
  echo({ kws, data, isBinary }: KwsEventPayload): void {
    if (isBinary) {
      kws.emit(data);
      return;
    }
    const text = data.toString();
    if (text.startsWith('fire:')) kws.fire(text.slice(5), 'fired');
    else kws.emit(`echo:${text}`);
  }

  @OnKwsEvent('custom')
  custom(payload: KwsEventPayload): void {
    this.log.record(payload);
  }
}

/** A module with the echo listeners and a kws endpoint configured by the test. */
export function echoApp(options: KwsModuleOptions = { path: '/ws/:id' }): DynamicModule {
  @Module({})
  class EchoAppModule {}
  return {
    module: EchoAppModule,
    imports: [KwsModule.forRoot(options)],
    providers: [EventLog, EchoListeners],
  };
}
