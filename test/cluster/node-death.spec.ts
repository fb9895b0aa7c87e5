import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../helpers/redis-server.js';
import { askUntil, ClusterClient } from './cluster-client.js';
import { startInProcessNode, startProcessNode, type ClusterNode } from './cluster-nodes.js';

/** The documented bound: a dead node's uuids are invalid within `nodeTtl` (3 s by default). */
const NODE_TTL = 3_000;
/** Slack for a loaded 2-core machine; the assertion is about liveness, not speed. */
const SLACK = 2_000;

describe('a node that dies', () => {
  let redis: { url: string; stop(): Promise<void> };
  let keyPrefix: string;
  const nodes: ClusterNode[] = [];
  const clients: ClusterClient[] = [];

  beforeEach(async () => {
    redis = await testRedisUrl();
    keyPrefix = `kws-test-${randomUUID()}`;
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.terminate();
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
    await redis.stop();
  });

  async function open(node: ClusterNode): Promise<ClusterClient> {
    const client = await ClusterClient.open(node.url);
    clients.push(client);
    return client;
  }

  it('killed with SIGKILL: its uuids become invalid and claimable, and leave count, within the bound', async () => {
    const survivor = await startInProcessNode({ redis: redis.url, keyPrefix });
    const doomed = await startProcessNode(redis.url, keyPrefix);
    nodes.push(survivor, doomed);
    const local = await open(survivor);
    const remote = await open(doomed);
    const name = `carol-${randomUUID()}`;
    expect(await remote.ask(`setuuid ${name}`)).toBe('ok');
    expect(await askUntil(local, 'count', (n) => n === '2')).toBe('2');
    expect(await local.ask(`setuuid ${name}`)).toBe('KwsUUIDDuplicationError');

    await doomed.kill('SIGKILL');
    const killedAt = Date.now();
    // Redis drops the dead node's subscription at once, so a message to it fails right away: as
    // not delivered (the node may only have lost its subscription) until its liveness expires,
    // then as no live connection.
    expect(await local.ask(`emitto ${name} anyone`)).toBe('KwsMessageDroppedError');
    expect(
      await askUntil(
        local,
        `emitto ${name} anyone`,
        (a) => a === 'KwsInvalidConnectionError',
        NODE_TTL + SLACK,
      ),
    ).toBe('KwsInvalidConnectionError');
    expect(await askUntil(local, 'count', (n) => n === '1', NODE_TTL + SLACK)).toBe('1');
    expect(await askUntil(local, `setuuid ${name}`, (a) => a === 'ok', NODE_TTL + SLACK)).toBe(
      'ok',
    );
    expect(Date.now() - killedAt).toBeLessThan(NODE_TTL + SLACK);
  });

  it('stopped cleanly: its uuids are released at once', async () => {
    const survivor = await startInProcessNode({ redis: redis.url, keyPrefix });
    const leaving = await startInProcessNode({ redis: redis.url, keyPrefix });
    nodes.push(survivor);
    const local = await open(survivor);
    const remote = await open(leaving);
    const name = `dave-${randomUUID()}`;
    expect(await remote.ask(`setuuid ${name}`)).toBe('ok');
    await leaving.stop();
    // No waiting for the liveness TTL: the goodbye released everything.
    expect(await local.ask('count')).toBe('1');
    expect(await local.ask(`setuuid ${name}`)).toBe('ok');
  });
});
