import {
  ForbiddenException,
  Injectable,
  Module,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { KwsEvent, KwsModule, OnKwsEvent, type Kws } from '../../src/index.js';
import type { KwsClient, KwsSession } from '../../src/client/index.js';
import { KwsTestingApp, KwsTestingConnectError } from '../../src/testing/index.js';
import { EventLog } from '../apps/event-log.js';
import { recoveryApp } from '../apps/recovery.app.js';

/** Refuses paths ending in /mallory, at once or (slow) after a timer, as a token check would. */
@Injectable()
class PathGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const kws = context.switchToWs().getClient<Kws>();
    if (kws.params('name') === 'slow') await new Promise((resolve) => setTimeout(resolve, 50));
    if (kws.params('who') === 'mallory') throw new ForbiddenException('Banned user');
    return true;
  }
}

@Injectable()
class GuardedListeners {
  @OnKwsEvent(KwsEvent.Connect)
  @UseGuards(PathGuard)
  connected(): void {}

  @OnKwsEvent('hello')
  hello(): string {
    return 'hi';
  }
}

@Module({
  imports: [KwsModule.forRoot({ path: '/ws/:name/:who', parser: 'json' })],
  providers: [GuardedListeners, PathGuard],
})
class GuardedApp {}

describe('nestjs-kws/testing', () => {
  let kws: KwsTestingApp | undefined;
  afterEach(async () => {
    await kws?.close();
    kws = undefined;
  });

  it.each(['fast', 'slow'])(
    'connect() rejects with the close code and reason when a connect guard refuses (%s)',
    async (speed) => {
      kws = await KwsTestingApp.start(GuardedApp);
      const refused = kws.connect(`/ws/${speed}/mallory`);
      await expect(refused).rejects.toBeInstanceOf(KwsTestingConnectError);
      await expect(refused).rejects.toMatchObject({
        code: 1008,
        reason: 'Banned user',
        message: `Could not connect to ${kws.url(`/ws/${speed}/mallory`)}: closed with code 1008 (Banned user)`,
      });
      // An accepted one resolves, and works.
      const alice = await kws.connect(`/ws/${speed}/alice`);
      await expect(alice.request('hello')).resolves.toBe('hi');
    },
  );

  it('connect() still reports an HTTP refusal with its status', async () => {
    kws = await KwsTestingApp.start(recoveryApp({ allowUpgrade: () => false }));
    const refused = kws.connect('/ws');
    await expect(refused).rejects.toMatchObject({
      code: 1006,
      message: `Could not connect to ${kws.url('/ws')}: Unexpected server response: 403`,
    });
  });

  it('drop() cuts the TCP connection without a close frame; the client resumes its session (docs/testing.md example)', async () => {
    kws = await KwsTestingApp.start(recoveryApp());
    const alice: KwsClient = await kws.connect('/ws');
    await alice.request('join', 'lobby');
    const { uuid } = (await alice.request('whoami')) as { uuid: string };
    const resumed = new Promise<KwsSession>((resolve) => alice.onSession(resolve));

    await kws.drop(alice);
    expect(alice.state).toBe('reconnecting');
    expect(await resumed).toMatchObject({ uuid, recovered: true });
    await expect(alice.request('whoami')).resolves.toMatchObject({ uuid, rooms: ['lobby'] });
    // The server saw a network failure (1006): a suspended session, no disconnect, one resume.
    const log = kws.app.get(EventLog);
    expect(log.named(KwsEvent.Disconnect)).toHaveLength(0);
    expect(log.named(KwsEvent.Resume)).toHaveLength(1);
  });

  it('drop() refuses a client that is not open', async () => {
    kws = await KwsTestingApp.start(recoveryApp());
    const client = kws.client('/ws', { maxAttempts: 0 });
    client.close();
    await expect(kws.drop(client)).rejects.toThrow(/needs an open client/);
  });
});
