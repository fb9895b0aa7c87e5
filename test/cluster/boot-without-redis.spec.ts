import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KwsServer, type KwsClusterOptions } from '../../src/index.js';
import { recoveryApp } from '../apps/recovery.app.js';
import { TestRedis } from '../helpers/redis-server.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { PacketClient } from '../helpers/packet-client.js';
import { eventually } from '../helpers/ws-client.js';

/** docs/cluster.md and docs/recovery.md: with Redis away at boot, the app starts. */
describe('cluster mode with recovery, Redis down at boot', () => {
  const redises: TestRedis[] = [];
  const apps: RunningApp[] = [];

  afterEach(async () => {
    for (const running of apps.splice(0)) await running.app.close();
    for (const redis of redises.splice(0)) await redis.stop();
    vi.restoreAllMocks();
  });

  async function stoppedRedis(): Promise<TestRedis> {
    const redis = await TestRedis.start();
    redises.push(redis);
    await redis.stop();
    return redis;
  }

  async function boot(cluster: KwsClusterOptions): Promise<RunningApp> {
    const running = await startApp(
      recoveryApp({ cluster, recovery: { maxDisconnection: 5_000 }, allowUpgrade: undefined }),
    );
    apps.push(running);
    return running;
  }

  it('boots, serves local connections, and catches up when Redis comes', async () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    process.on('uncaughtException', unhandled);
    try {
      const redis = await stoppedRedis();
      const keyPrefix = `kws-test-${randomUUID()}`;
      const running = await boot({ redis: redis.url, keyPrefix, requestTimeout: 500 });
      const server = running.app.get(KwsServer);
      // Local traffic: a connection is accepted and its listeners answer.
      const client = await PacketClient.open(running.wsUrl('/ws'));
      expect(await client.nextPacket()).toHaveProperty('session');
      const answer = await client.ask('whoami');
      expect(answer.data).toMatchObject({ uuid: expect.any(String) });
      await redis.restart();
      await eventually(
        () => server.stats().cluster?.registered,
        (registered) => registered === true,
        10_000,
      );
      // Recoverable sends go through the Redis log once it is there, and this node reads it.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const failure = await server.broadcast('hello').then(
          () => undefined,
          (error: Error) => error,
        );
        if (!failure) break;
        if (Date.now() > deadline) throw failure;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await client.raw.next(5_000)).text).toContain('hello');
      client.close();
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
      process.off('uncaughtException', unhandled);
    }
  });

  it('cluster.requireRedis: bootstrap rejects naming Redis and the URL without its password', async () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const redis = await stoppedRedis();
    const url = `redis://:s3cret@127.0.0.1:${redis.port}`;
    const started = Date.now();
    const error = await boot({ redis: url, requireRedis: true, requestTimeout: 500 }).then(
      () => undefined,
      (failure: Error) => failure,
    );
    expect(error?.name).toBe('KwsError');
    expect(error?.message).toContain('Redis');
    expect(error?.message).toContain(`redis://***@127.0.0.1:${redis.port}`);
    expect(error?.message).not.toContain('s3cret');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
