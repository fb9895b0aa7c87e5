import { Injectable, Module } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InjectKwsServer,
  KwsEvent,
  KwsModule,
  KwsServer,
  OnKwsEndpoint,
  OnKwsEvent,
  type KwsEventPayload,
} from '../../src/index.js';
import { PacketClient } from '../helpers/packet-client.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';

@Injectable()
class PublicListeners {
  readonly connects: string[] = [];

  @OnKwsEvent(KwsEvent.Connect)
  connect({ kws }: KwsEventPayload): void {
    this.connects.push(`public:${kws.uuid}`);
  }

  @OnKwsEvent('hello')
  hello(): string {
    return 'hello from /ws';
  }

  @OnKwsEvent('stats', { endpoint: 'admin' })
  stats(): string {
    return 'stats from /admin';
  }
}

@Injectable()
@OnKwsEndpoint('admin')
class AdminListeners {
  readonly connects: string[] = [];

  @OnKwsEvent(KwsEvent.Connect)
  connect({ kws }: KwsEventPayload): void {
    this.connects.push(`admin:${kws.uuid}`);
  }

  @OnKwsEvent('kick')
  kick(): string {
    return 'kicked';
  }
}

@Injectable()
class Servers {
  constructor(
    readonly main: KwsServer,
    @InjectKwsServer('admin') readonly admin: KwsServer,
  ) {}
}

@Module({
  imports: [
    KwsModule.forRoot({ path: '/ws', parser: 'json' }),
    KwsModule.forRootAsync({
      name: 'admin',
      useFactory: () => ({ path: '/admin', parser: 'json' }),
    }),
  ],
  providers: [PublicListeners, AdminListeners, Servers],
})
class TwoEndpointsModule {}

describe('several endpoints', () => {
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp(TwoEndpointsModule);
  });
  afterAll(() => running.app.close());

  it('each listener serves its own endpoint only, and each endpoint has its own KwsServer', async () => {
    const user = await PacketClient.open(running.wsUrl('/ws'));
    const admin = await PacketClient.open(running.wsUrl('/admin'));
    const notFound = { message: 'No such event', status: 404 };

    expect((await user.ask('hello')).data).toBe('hello from /ws');
    expect((await user.ask('kick')).error).toEqual(notFound);
    expect((await user.ask('stats')).error).toEqual(notFound);
    expect((await admin.ask('kick')).data).toBe('kicked');
    expect((await admin.ask('stats')).data).toBe('stats from /admin');
    expect((await admin.ask('hello')).error).toEqual(notFound);

    const servers = running.app.get(Servers);
    expect(servers.main).not.toBe(servers.admin);
    await eventually(
      () => servers.main.localCount + servers.admin.localCount,
      (n) => n === 2,
    );
    const [userUuid] = [...servers.main.connections()].map((kws) => kws.uuid);
    const [adminUuid] = [...servers.admin.connections()].map((kws) => kws.uuid);
    expect(running.app.get(PublicListeners).connects).toEqual([`public:${userUuid}`]);
    expect(running.app.get(AdminListeners).connects).toEqual([`admin:${adminUuid}`]);

    await servers.admin.broadcast({ event: 'only-admins' });
    expect(await admin.nextPacket()).toEqual({ event: 'only-admins' });
    await user.ask('hello'); // nothing else is queued for the user
    await Promise.all([user.close(), admin.close()]);
  });
});
