import { Injectable, Logger, Module, type DynamicModule } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KwsModule, OnKwsEndpoint, OnKwsEvent, type KwsModuleOptions } from '../../src/index.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

/** Starts an app importing `imports`; resolves with the error bootstrap failed with, if any. */
async function bootError(
  imports: DynamicModule[],
  providers: (new (...args: never[]) => object)[] = [],
): Promise<Error | undefined> {
  @Module({ imports, providers })
  class AppModule {}
  let running: RunningApp | undefined;
  try {
    running = await startApp(AppModule);
    return undefined;
  } catch (error) {
    return error as Error;
  } finally {
    await running?.app.close();
  }
}

const async = (options: Record<string, unknown>): DynamicModule =>
  KwsModule.forRootAsync({ useFactory: async () => options as KwsModuleOptions });

describe('misconfiguration fails at bootstrap, naming the option', () => {
  afterEach(() => vi.restoreAllMocks());

  function quiet(): void {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  }

  it('a second unnamed endpoint (two forRoot without name) fails; distinct names boot', async () => {
    quiet();
    const error = await bootError([
      KwsModule.forRoot({ path: '/a' }),
      KwsModule.forRoot({ path: '/b' }),
    ]);
    expect(error?.message).toContain('Two KwsModule endpoints have no "name"');
    const same = await bootError([
      KwsModule.forRoot({ name: 'admin', path: '/a' }),
      KwsModule.forRootAsync({ name: 'admin', useFactory: () => ({ path: '/b' }) }),
    ]);
    expect(same?.message).toContain('Two KwsModule endpoints are named "admin"');
    expect(
      await bootError([
        KwsModule.forRoot({ path: '/a' }),
        KwsModule.forRoot({ name: 'admin', path: '/b' }),
      ]),
    ).toBeUndefined();
  });

  it('a listener on an endpoint name no module declares fails, naming the listener', async () => {
    quiet();
    @Injectable()
    class Misnamed {
      @OnKwsEvent('kick', { endpoint: 'admni' })
      kick(): void {}
    }
    const error = await bootError(
      [KwsModule.forRoot({ path: '/a' }), KwsModule.forRoot({ name: 'admin', path: '/b' })],
      [Misnamed],
    );
    expect(error?.message).toContain(
      '@OnKwsEvent("kick", { endpoint }) on Misnamed.kick listens on endpoint "admni"',
    );
    expect(error?.message).toContain('declared: the unnamed one, "admin"');

    @OnKwsEndpoint('nope')
    @Injectable()
    class WholeClass {
      @OnKwsEvent('x')
      x(): void {}
    }
    expect((await bootError([KwsModule.forRoot({})], [WholeClass]))?.message).toContain(
      '@OnKwsEndpoint("nope") on WholeClass listens on endpoint "nope"',
    );

    @Injectable()
    class Unnamed {
      @OnKwsEvent('x')
      x(): void {}
    }
    expect((await bootError([KwsModule.forRoot({ name: 'admin' })], [Unnamed]))?.message).toContain(
      '@OnKwsEvent("x") on Unnamed.x listens on the unnamed endpoint',
    );
  });

  it('unknown option keys fail, with the closest known one, at every level and in forRootAsync', async () => {
    quiet();
    const cases: [Record<string, unknown>, string][] = [
      [{ pingIntreval: 1000 }, 'option "pingIntreval" is unknown (did you mean "pingInterval"?)'],
      [{ Origins: [] }, 'option "Origins" is unknown (did you mean "origins"?)'],
      [{ wat: 1 }, 'option "wat" is unknown: a misspelt'],
      [
        { parser: 'json', recovery: { maxMessage: 5 } },
        'option "recovery.maxMessage" is unknown (did you mean "maxMessages"?)',
      ],
      [{ rateLimit: { mesages: 5 } }, 'option "rateLimit.mesages" is unknown'],
      [{ metrics: { prometeus: true } }, 'option "metrics.prometeus" is unknown'],
      [
        { metrics: { prometheus: { prefx: 'a_' } } },
        'option "metrics.prometheus.prefx" is unknown (did you mean "prefix"?)',
      ],
      [
        { cluster: { redis: 'redis://127.0.0.1:1', keyprefix: 'x' } },
        'option "cluster.keyprefix" is unknown (did you mean "keyPrefix"?)',
      ],
    ];
    for (const [options, message] of cases) {
      expect(
        (await bootError([KwsModule.forRoot(options as KwsModuleOptions)]))?.message,
      ).toContain(message);
      expect((await bootError([async(options)]))?.message).toContain(message);
    }
  });

  it('forRootAsync: name or isGlobal returned by the factory (ignored there) fails', async () => {
    quiet();
    expect((await bootError([async({ name: 'admin' })]))?.message).toContain(
      'option "name" was returned by the forRootAsync factory',
    );
    expect((await bootError([async({ isGlobal: false })]))?.message).toContain(
      'option "isGlobal" was returned by the forRootAsync factory',
    );
  });

  it("a parser that is neither 'json' nor a parser object fails", async () => {
    quiet();
    for (const parser of ['JSON', 'msgpack', true, {}, { decode: () => undefined }]) {
      const options = { parser } as unknown as Record<string, unknown>;
      expect((await bootError([KwsModule.forRoot(options)]))?.message).toContain(
        'KwsModule option "parser" must be \'json\' or a parser object',
      );
      expect((await bootError([async(options)]))?.message).toContain('option "parser" must be');
    }
    const custom = { decode: () => undefined, encode: () => '' };
    expect(await bootError([KwsModule.forRoot({ parser: custom })])).toBeUndefined();
  });

  it('a cluster Redis URL of another scheme fails, without its password', async () => {
    quiet();
    for (const url of ['http://user:s3cret@redis.internal:6379', 'valkey://redis.internal']) {
      const error = await bootError([KwsModule.forRoot({ cluster: { redis: url } })]);
      expect(error?.message).toContain('a Redis URL starts with redis:// or rediss://');
      expect(error?.message).not.toContain('s3cret');
      expect((await bootError([async({ cluster: { redis: url } })]))?.message).toContain(
        'cluster.redis',
      );
    }
  });
});

describe('named-event listeners without a parser', () => {
  afterEach(() => vi.restoreAllMocks());

  @Injectable()
  class ChatListeners {
    @OnKwsEvent('chat:send')
    send(): void {}

    @OnKwsEvent(['message', 'connect'])
    raw(): void {}

    @OnKwsEvent('server-only', { fromClient: false })
    serverOnly(): void {}
  }

  async function warningsOf(options: KwsModuleOptions): Promise<string[]> {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    expect(await bootError([KwsModule.forRoot(options)], [ChatListeners])).toBeUndefined();
    return warn.mock.calls.map(([line]) => String(line)).filter((line) => line.includes('parser'));
  }

  it('warns at bootstrap, naming the option and the events', async () => {
    const lines = await warningsOf({});
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('listeners of named events ("chat:send")');
    expect(lines[0]).toContain(`no "parser" option`);
    expect(lines[0]).toContain(`parser: 'json'`);
  });

  it('says nothing with a parser', async () => {
    expect(await warningsOf({ parser: 'json' })).toEqual([]);
  });
});
