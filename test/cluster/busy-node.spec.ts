import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestRedis } from '../helpers/redis-server.js';
import { askUntil, ClusterClient } from './cluster-client.js';
import { startInProcessNode, startProcessNode, type ClusterNode } from './cluster-nodes.js';

/**
 * The issue's case, with Redis' real limit: a node whose event loop is blocked during a large
 * cross-node burst has its subscription dropped by Redis (client-output-buffer-limit pubsub).
 * The senders are told once it is gone, the node logs and counts the loss, and it heals.
 */
describe('a node busy during a burst', () => {
  let redis: TestRedis;
  let a: Awaited<ReturnType<typeof startInProcessNode>>;
  let b: ClusterNode;
  const clients: ClusterClient[] = [];

  beforeAll(async () => {
    redis = await TestRedis.start(['--client-output-buffer-limit', 'pubsub 256kb 0 0']);
    const keyPrefix = `kws-test-${randomUUID()}`;
    a = await startInProcessNode({ redis: redis.url, keyPrefix });
    b = await startProcessNode(redis.url, keyPrefix);
  });

  afterAll(async () => {
    for (const client of clients) client.terminate();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis.stop();
  });

  it('loses its subscription, which senders, logs and counters show, and then heals', async () => {
    const [a1, b1, b2] = await Promise.all([a, b, b].map((node) => ClusterClient.open(node.url)));
    clients.push(a1, b1, b2);
    expect(await askUntil(a1, 'count', (n) => n === '3')).toBe('3');
    // b1 blocks B for 2 s; meanwhile A sends 24 MB to every node that B cannot read (as events
    // no listener handles, so that no client has to read them).
    const blocked = b1.ask('block 2000', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const chunk = 'x'.repeat(64 * 1024);
    const answers = await Promise.all(
      Array.from({ length: 384 }, () =>
        a.server.fire('unheard', chunk).then(
          () => 'ok',
          (e: Error) => e.name,
        ),
      ),
    );
    expect(await blocked).toBe('ok');
    // Once Redis had dropped B's subscriber, A's calls said so instead of succeeding.
    expect(answers).toContain('KwsBroadcastIncompleteError');
    // B noticed, counted it, re-subscribed and rejoined: broadcasts reach b2 again.
    expect(
      await askUntil(b2, 'stats', (stats) => JSON.parse(stats).subscriptionLosses >= 1),
    ).toMatch(/"subscriptionLosses":1/);
    expect(await askUntil(a1, 'broadcast after', (answer) => answer === 'ok')).toBe('ok');
    expect(await b2.waitForMessages(1)).toEqual(['after']);
  });
});
