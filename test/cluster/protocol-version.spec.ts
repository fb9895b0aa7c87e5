import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../helpers/redis-server.js';
import { eventually } from '../helpers/ws-client.js';
import { askUntil, ClusterClient } from './cluster-client.js';
import { startInProcessNode } from './cluster-nodes.js';

/** Rolling deploys: a node refuses, and reports, cluster messages of a version it cannot read. */
describe('cluster messages of another protocol version', () => {
  let redis: { url: string; stop(): Promise<void> };
  let publisher: Redis;
  const keyPrefix = `kws-test-${randomUUID()}`;
  const nodes: Array<Awaited<ReturnType<typeof startInProcessNode>>> = [];
  const clients: ClusterClient[] = [];

  beforeAll(async () => {
    redis = await testRedisUrl();
    publisher = new Redis(redis.url);
    nodes.push(
      await startInProcessNode({ redis: redis.url, keyPrefix }),
      await startInProcessNode({ redis: redis.url, keyPrefix }),
    );
  });

  afterAll(async () => {
    for (const client of clients) client.terminate();
    await Promise.all(nodes.map((node) => node.stop()));
    publisher.disconnect();
    await redis.stop();
  });

  it('are refused and counted on every node, and nothing is delivered from them', async () => {
    const [a, b] = nodes;
    clients.push(await ClusterClient.open(a.url), await ClusterClient.open(b.url));
    const [a1, b1] = clients;
    expect(await askUntil(a1, 'count', (n) => n === '2')).toBe('2');
    // Version 99 of a broadcast: the layout could be anything, so nothing of it is read.
    const future = Buffer.concat([Buffer.of(99, 1), Buffer.from('from-the-future')]);
    expect(await publisher.publish(`${keyPrefix}:broadcast`, future)).toBe(2);
    for (const node of [a, b]) {
      await eventually(
        () => node.broker.stats.unreadableMessages,
        (count) => count === 1,
      );
      expect(node.broker.stats.unreadableMessages).toBe(1);
    }
    expect(await a1.ask('broadcast current')).toBe('ok');
    expect(await b1.waitForMessages(1)).toEqual(['current']);
    expect(a1.messages()).toEqual(['current']);
  });
});
