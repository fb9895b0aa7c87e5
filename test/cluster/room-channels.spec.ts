import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../helpers/redis-server.js';
import { askUntil, ClusterClient } from './cluster-client.js';
import { startInProcessNode, type ClusterNode } from './cluster-nodes.js';

/** A room broadcast costs the nodes that hold members of the room, not every node. */
describe('room channels', () => {
  let redis: { url: string; stop(): Promise<void> };
  let admin: Redis;
  const nodes: ClusterNode[] = [];
  const clients: ClusterClient[] = [];

  beforeAll(async () => {
    redis = await testRedisUrl();
    admin = new Redis(redis.url);
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.terminate();
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
  });

  afterAll(async () => {
    admin.disconnect();
    await redis.stop();
  });

  async function listeners(channel: string): Promise<number> {
    const [, count] = (await admin.pubsub('NUMSUB', channel)) as [string, number];
    return Number(count);
  }

  async function threeNodes(roomChannels?: boolean) {
    const keyPrefix = `kws-test-${randomUUID()}`;
    const options = { redis: redis.url, keyPrefix, roomChannels };
    nodes.push(...(await Promise.all([1, 2, 3].map(() => startInProcessNode(options)))));
    clients.push(...(await Promise.all(nodes.map((node) => ClusterClient.open(node.url)))));
    expect(await askUntil(clients[0], 'count', (n) => n === '3')).toBe('3');
    return { channel: `${keyPrefix}:roomch:blue`, broadcast: `${keyPrefix}:broadcast` };
  }

  it('only the nodes holding members listen to the room, while they hold them', async () => {
    const { channel, broadcast } = await threeNodes();
    const [a1, b1, c1] = clients;
    expect(await b1.ask('join blue')).toBe('ok');
    expect(await listeners(channel)).toBe(1);
    expect(await listeners(broadcast)).toBe(3);
    expect(await a1.ask('broadcast-to blue news')).toBe('ok');
    expect(await b1.waitForMessages(1)).toEqual(['news']);
    expect(await c1.ask('join blue')).toBe('ok');
    expect(await listeners(channel)).toBe(2);
    expect(await b1.ask('leave blue')).toBe('ok');
    expect(await c1.ask('leave blue')).toBe('ok');
    expect(await askUntil(a1, 'roomsize blue', (n) => n === '0')).toBe('0');
    for (let i = 0; i < 100 && (await listeners(channel)) > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await listeners(channel)).toBe(0);
  });

  it('turned off, room broadcasts go over the broadcast channel and still reach only members', async () => {
    const { channel } = await threeNodes(false);
    const [a1, b1, c1] = clients;
    expect(await b1.ask('join blue')).toBe('ok');
    expect(await a1.ask('broadcast-to blue news')).toBe('ok');
    expect(await a1.ask('broadcast end')).toBe('ok');
    expect(await b1.waitForMessages(2)).toEqual(['news', 'end']);
    expect(await c1.waitForMessages(1)).toEqual(['end']);
    expect(await listeners(channel)).toBe(0);
  });
});
