import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GC_BATCH } from '../../src/cluster/connection.directory.js';
import { TestRedis } from '../helpers/redis-server.js';
import { askUntil, ClusterClient } from './cluster-client.js';
import { startInProcessNode } from './cluster-nodes.js';

/** What a crashed node leaves behind is removed in bounded batches, never in one long call. */
describe('cleaning up after a dead node', () => {
  // A redis-server of our own: the test counts the script calls Redis runs.
  let redis: TestRedis;
  let admin: Redis;
  const keyPrefix = `kws-test-${randomUUID()}`;
  const UUIDS = 5_000;

  beforeAll(async () => {
    redis = await TestRedis.start();
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    admin.disconnect();
    await redis.stop();
  });

  /** Script calls Redis ran: EVALSHA, and EVAL for a script's first call (before it is cached). */
  async function scriptCalls(): Promise<number> {
    const info = await admin.info('commandstats');
    const calls = (command: string) =>
      Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
    return calls('evalsha') + calls('eval');
  }

  it(`forgets ${UUIDS} uuids of a node that died, a batch per script call`, async () => {
    // The directory as a node that crashed leaves it: entries, its uuid set, no liveness key.
    const dead = randomUUID();
    const uuids = Array.from({ length: UUIDS }, (_, i) => `ghost-${i}`);
    await admin.hset(`${keyPrefix}:dir`, ...uuids.flatMap((uuid) => [uuid, dead]));
    await admin.sadd(`${keyPrefix}:conns:${dead}`, ...uuids);
    await admin.sadd(`${keyPrefix}:nodes`, dead);
    const before = await scriptCalls();

    const node = await startInProcessNode({
      redis: redis.url,
      keyPrefix,
      heartbeatInterval: 100,
      nodeTtl: 300,
    });
    const client = await ClusterClient.open(node.url);
    try {
      const own = await client.ask('whoami');
      // Its uuids are free at once (the node is dead), and leave the directory within a few beats.
      expect(await client.ask('setuuid ghost-7')).toBe('ok');
      expect(await client.ask('count')).toBe('1');
      const left = await pollUntil(async () => admin.hlen(`${keyPrefix}:dir`), 1);
      expect(left).toBe(1);
      expect(await admin.hget(`${keyPrefix}:dir`, 'ghost-7')).toBe(node.broker.nodeId);
      expect(await admin.hexists(`${keyPrefix}:dir`, own)).toBe(0);
      expect(await admin.hlen(`${keyPrefix}:gc`)).toBe(0);
      expect((await admin.keys(`${keyPrefix}:gc:*`)).length).toBe(0);
      // No single call walked them all: at least one call per batch.
      expect((await scriptCalls()) - before).toBeGreaterThanOrEqual(UUIDS / GC_BATCH);
      expect(await askUntil(client, 'count', (n) => n === '1')).toBe('1');
    } finally {
      client.terminate();
      await node.stop();
    }
  });
});

/** Polls an async read until it equals `target` (or 5 s pass); returns the last value. */
async function pollUntil(read: () => Promise<number>, target: number): Promise<number> {
  const deadline = Date.now() + 5_000;
  let value = await read();
  while (value !== target && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = await read();
  }
  return value;
}
