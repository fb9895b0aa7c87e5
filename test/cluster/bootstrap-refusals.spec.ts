import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsModule } from '../../src/index.js';
import { TestRedis } from '../helpers/redis-server.js';
import { startApp } from '../helpers/start-app.js';

/** Misconfigurations that would fail later, or forever, are refused when the app boots. */
describe('cluster mode refuses at bootstrap', () => {
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await TestRedis.start(['--requirepass', 'secret']);
  });

  afterAll(async () => {
    await redis.stop();
  });

  const boot = (cluster: unknown) =>
    startApp(KwsModule.forRoot({ path: '/ws', cluster: cluster as never }));

  it('a wrong password', async () => {
    const url = `redis://:wrong@127.0.0.1:${redis.port}`;
    await expect(boot({ redis: url })).rejects.toThrow(/cannot authenticate to Redis \(WRONGPASS/);
  });

  it('a missing password', async () => {
    await expect(boot({ redis: redis.url })).rejects.toThrow(
      /cannot authenticate to Redis \(NOAUTH/,
    );
  });

  it('and boots with the right one', async () => {
    const running = await boot({ redis: `redis://:secret@127.0.0.1:${redis.port}` });
    await running.app.close();
  });

  it('an undefined redis (a missing environment variable through forRootAsync)', async () => {
    const module = KwsModule.forRootAsync({
      useFactory: () => ({ path: '/ws', cluster: { redis: process.env.KWS_UNSET_REDIS_URL! } }),
    });
    await expect(startApp(module)).rejects.toThrow('cluster.redis is undefined');
  });
});
