import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import {
  KwsEvent,
  KwsModule,
  OnKwsEvent,
  type KwsEventPayload,
  type KwsUpgradeInfo,
  type KwsModuleOptions,
} from '../../src/index.js';
import { EventLog } from './event-log.js';

/** Every upgrade URL `allowUpgrade` saw, in order (it must run on a resume too). */
@Injectable()
export class UpgradeLog {
  readonly urls: string[] = [];
  /** The `Sec-WebSocket-Protocol` header of each upgrade. */
  readonly protocols: Array<string | undefined> = [];
  /** What `allowUpgrade` was told of each upgrade (which session it resumes). */
  readonly infos: KwsUpgradeInfo[] = [];
}

/** Records connect/disconnect/resume; lets the client join rooms, set attributes, ask who it is. */
@Injectable()
export class RecoveryListeners {
  constructor(readonly log: EventLog) {}

  @OnKwsEvent([KwsEvent.Connect, KwsEvent.Disconnect, KwsEvent.Resume, KwsEvent.Close])
  record(payload: KwsEventPayload): void {
    this.log.record(payload);
  }

  @OnKwsEvent('join')
  join({ kws, data }: KwsEventPayload<string>): void {
    kws.join(data);
  }

  @OnKwsEvent('set')
  set({ kws, data }: KwsEventPayload<{ key: string; value: unknown }>): void {
    kws.setAttribute(data.key, data.value);
  }

  @OnKwsEvent('whoami')
  whoami({ kws, socketAttributes }: KwsEventPayload<unknown>): unknown {
    return { uuid: kws.uuid, attributes: socketAttributes, rooms: kws.rooms() };
  }
}

/** A JSON-parser endpoint on `/ws` with recovery (options merged in). */
export function recoveryApp(options: KwsModuleOptions = {}): DynamicModule {
  const upgrades = new UpgradeLog();
  @Module({})
  class RecoveryAppModule {}
  return {
    module: RecoveryAppModule,
    imports: [
      KwsModule.forRoot({
        path: '/ws',
        parser: 'json',
        recovery: { maxDisconnection: 5_000, maxMessages: 1_000 },
        allowUpgrade: (request: IncomingMessage, info: KwsUpgradeInfo) => {
          upgrades.urls.push(request.url ?? '');
          upgrades.protocols.push(request.headers['sec-websocket-protocol']);
          upgrades.infos.push(info);
          return { seeded: 'by allowUpgrade' };
        },
        ...options,
      }),
    ],
    providers: [EventLog, RecoveryListeners, { provide: UpgradeLog, useValue: upgrades }],
  };
}
