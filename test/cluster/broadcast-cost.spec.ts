import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestRedis } from '../helpers/redis-server.js';
import { askUntil, ClusterClient } from './cluster-client.js';
import { startInProcessNode, type ClusterNode } from './cluster-nodes.js';

describe('a cluster broadcast', () => {
  // A redis-server of our own: the test counts every PUBLISH it runs.
  let redis: TestRedis;
  let stats: Redis;
  const nodes: ClusterNode[] = [];
  const clients: ClusterClient[] = [];

  beforeAll(async () => {
    redis = await TestRedis.start();
    stats = new Redis(redis.url);
    // An ioredis client works as the connection template too (it is duplicated, never closed).
    const template = { redis: stats, keyPrefix: `kws-test-${randomUUID()}` };
    nodes.push(await startInProcessNode(template), await startInProcessNode(template));
  });

  afterAll(async () => {
    for (const client of clients) client.terminate();
    await Promise.all(nodes.map((node) => node.stop()));
    stats.disconnect();
    await redis.stop();
  });

  async function publishes(): Promise<number> {
    const info = await stats.info('commandstats');
    return Number(/cmdstat_publish:calls=(\d+)/.exec(info)?.[1] ?? 0);
  }

  it('crosses Redis once per message, however many clients and nodes it reaches', async () => {
    for (let i = 0; i < 10; i++) clients.push(await ClusterClient.open(nodes[i % 2].url));
    expect(await askUntil(clients[0], 'count', (n) => n === '10')).toBe('10');
    const before = await publishes();
    for (let i = 0; i < 5; i++) expect(await clients[0].ask(`broadcast b${i}`)).toBe('ok');
    for (const client of clients) {
      expect(await client.waitForMessages(5)).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
    }
    expect((await publishes()) - before).toBe(5);
  });
});
