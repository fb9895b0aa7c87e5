import { Controller, Injectable, Logger, Module, Scope } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  KwsEvent,
  KwsModule,
  KwsServer,
  OnKwsEvent,
  type KwsEventPayload,
} from '../../src/index.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { connect, eventually } from '../helpers/ws-client.js';

const calls: string[] = [];

@Injectable()
class FirstListeners {
  @OnKwsEvent(KwsEvent.Message)
  first(): void {
    calls.push('first');
  }

  @OnKwsEvent([KwsEvent.Connect, 'hello'])
  @OnKwsEvent('greet')
  many({ name }: KwsEventPayload): void {
    calls.push(`many:${name}`);
  }
}

@Controller()
class ListeningController {
  @OnKwsEvent(KwsEvent.Message)
  second(): void {
    calls.push('controller');
  }
}

@Injectable()
class Greeting {
  readonly text = 'injected';
}

/** A fresh instance per event, with its dependencies injected. */
@Injectable({ scope: Scope.REQUEST })
class RequestScopedListeners {
  constructor(private readonly greeting: Greeting) {}

  @OnKwsEvent(KwsEvent.Message)
  perEvent(): void {
    calls.push(`request-scoped:${this.greeting.text}`);
  }
}

/** Its own instance, whose constructor ran (not a bare prototype). */
@Injectable({ scope: Scope.TRANSIENT })
class TransientListeners {
  constructor(private readonly greeting: Greeting) {}

  @OnKwsEvent('greet')
  greet(): void {
    calls.push(`transient:${this.greeting.text}`);
  }
}

/** Lives in a module that does not import KwsModule: the module is global. */
@Injectable()
class Announcer {
  constructor(readonly kws: KwsServer) {}
}

@Module({ providers: [Announcer] })
class FeatureModule {}

class Config {
  readonly wsPath = '/async/:room';
}

@Module({ providers: [Config], exports: [Config] })
class ConfigModule {}

@Module({
  imports: [KwsModule.forRoot({ path: '/ws' }), FeatureModule],
  controllers: [ListeningController],
  providers: [
    FirstListeners,
    // An alias must not register the same listeners twice.
    { provide: 'FIRST_ALIAS', useExisting: FirstListeners },
    Greeting,
    RequestScopedListeners,
    TransientListeners,
  ],
})
class DiscoveryAppModule {}

@Module({
  imports: [
    KwsModule.forRootAsync({
      imports: [ConfigModule],
      inject: [Config],
      useFactory: (config: Config) => ({ path: config.wsPath }),
    }),
  ],
  providers: [FirstListeners],
})
class AsyncAppModule {}

describe('listener discovery', () => {
  let running: RunningApp | undefined;

  afterEach(async () => {
    await running?.app.close();
    running = undefined;
    calls.length = 0;
    vi.restoreAllMocks();
  });

  it('registers every @OnKwsEvent method of providers and controllers once, in order', async () => {
    const logged = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    running = await startApp(DiscoveryAppModule);
    const client = await connect(running.wsUrl('/ws'));
    await eventually(
      () => calls.length,
      (n) => n >= 1,
    );
    client.send('x');
    await eventually(
      () => calls.length,
      (n) => n >= 4,
    );
    const kws = [...running.app.get(KwsServer).connections()][0];
    kws.fire('hello');
    kws.fire('greet');
    expect(calls).toEqual([
      'many:connect',
      'first',
      'controller',
      'request-scoped:injected',
      'many:hello',
      'many:greet',
      'transient:injected',
    ]);
    expect(
      logged.mock.calls.some(([text]) => String(text).includes('RequestScopedListeners')),
    ).toBe(true);
    client.socket.terminate();
  });

  it('KwsServer.on adds a listener at runtime and its returned function removes it', async () => {
    running = await startApp(DiscoveryAppModule);
    const server = running.app.get(KwsServer);
    const seen: string[] = [];
    const off = server.on(KwsEvent.Message, ({ data }) => void seen.push(data.toString()));
    const client = await connect(running.wsUrl('/ws'));
    client.send('one');
    await eventually(
      () => seen.length,
      (n) => n === 1,
    );
    off();
    client.send('two');
    await eventually(
      () => calls.filter((c) => c === 'first').length,
      (n) => n === 2,
    );
    expect(seen).toEqual(['one']);
    server.off(KwsEvent.Message);
    client.send('three');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls.filter((c) => c === 'first')).toHaveLength(2);
    client.socket.terminate();
  });

  it('is global: KwsServer is injectable in a module that does not import KwsModule', async () => {
    running = await startApp(DiscoveryAppModule);
    const announcer = running.app.get(Announcer);
    expect(announcer.kws).toBe(running.app.get(KwsServer));
    const client = await connect(running.wsUrl('/ws'));
    await eventually(
      () => announcer.kws.localCount,
      (n) => n === 1,
    );
    await announcer.kws.broadcast('from a feature module');
    expect((await client.next()).text).toBe('from a feature module');
    client.socket.terminate();
  });

  it('forRootAsync takes its options from injected providers', async () => {
    running = await startApp(AsyncAppModule);
    const client = await connect(running.wsUrl('/async/blue'));
    await eventually(
      () => calls,
      (c) => c.includes('many:connect'),
    );
    expect([...running.app.get(KwsServer).connections()][0].params('room')).toBe('blue');
    client.socket.terminate();
  });
});
