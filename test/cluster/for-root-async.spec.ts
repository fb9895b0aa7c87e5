import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsModule, KwsServer } from '../../src/index.js';
import { testRedisUrl } from '../helpers/redis-server.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { askUntil, ClusterClient } from './cluster-client.js';
import { installClusterCommands } from './fixtures/cluster-commands.mjs';

describe('cluster mode configured with forRootAsync', () => {
  let redis: { url: string; stop(): Promise<void> };
  const apps: RunningApp[] = [];
  const clients: ClusterClient[] = [];

  beforeAll(async () => {
    redis = await testRedisUrl();
    const keyPrefix = `kws-test-${randomUUID()}`;
    for (let i = 0; i < 2; i++) {
      const running = await startApp(
        KwsModule.forRootAsync({
          useFactory: async () => ({ path: '/ws', cluster: { redis: redis.url, keyPrefix } }),
        }),
      );
      installClusterCommands(running.app.get(KwsServer));
      apps.push(running);
    }
  });

  afterAll(async () => {
    for (const client of clients) client.terminate();
    await Promise.all(apps.map((running) => running.app.close()));
    await redis.stop();
  });

  it('reaches connections on the other node', async () => {
    clients.push(...(await Promise.all(apps.map((a) => ClusterClient.open(a.wsUrl('/ws'))))));
    const [first, second] = clients;
    expect(await askUntil(first, 'count', (n) => n === '2')).toBe('2');
    expect(await first.ask(`emitto ${await second.ask('whoami')} hello`)).toBe('ok');
    expect(await second.waitForMessages(1)).toEqual(['hello']);
  });
});
