import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestRedisSentinel } from '../helpers/redis-sentinel.js';
import { askUntil, ClusterClient } from './cluster-client.js';
import { broadcastUntilSteady, receivedAll } from './failover-broadcasts.js';
import { startInProcessNode, type ClusterNode } from './cluster-nodes.js';

/** Redis behind a Sentinel: the master crashes, the replica is promoted, the nodes follow. */
describe('Sentinel failover', () => {
  let redis: TestRedisSentinel;
  const nodes: ClusterNode[] = [];
  const clients: ClusterClient[] = [];

  beforeAll(async () => {
    redis = await TestRedisSentinel.start();
    const options = {
      redis: redis.options,
      keyPrefix: `kws-test-${randomUUID()}`,
      heartbeatInterval: 200,
      nodeTtl: 2_000,
      requestTimeout: 1_000,
    };
    nodes.push(await startInProcessNode(options), await startInProcessNode(options));
  }, 30_000);

  afterAll(async () => {
    for (const client of clients) client.terminate();
    await Promise.all(nodes.map((node) => node.stop()));
    await redis?.stop();
  });

  it('after the master dies, the nodes rejoin on the promoted replica; nothing arrives twice', async () => {
    const [a1, b1] = await Promise.all(nodes.map((node) => ClusterClient.open(node.url)));
    clients.push(a1, b1);
    const b1Id = await b1.ask('whoami');
    expect(await askUntil(a1, 'count', (n) => n === '2')).toBe('2');
    // A remembers the nodes its heartbeats saw: B must have been seen once before the failover.
    expect(await askUntil(a1, 'nodes', (n) => n === '2')).toBe('2');
    expect(await a1.ask('broadcast before')).toBe('ok');
    expect(await b1.waitForMessages(1)).toEqual(['before']);

    await redis.killMaster();
    const succeeded = await broadcastUntilSteady(a1);
    const got = await receivedAll(b1, succeeded);
    for (const message of succeeded) expect(got.filter((m) => m === message)).toEqual([message]);
    expect(await askUntil(a1, `emitto ${b1Id} direct`, (answer) => answer === 'ok', 10_000)).toBe(
      'ok',
    );
    expect(await askUntil(a1, 'count', (n) => n === '2')).toBe('2');
  });
});
