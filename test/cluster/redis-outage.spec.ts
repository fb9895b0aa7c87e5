import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { TestRedis } from '../helpers/redis-server.js';
import { askUntil, ClusterClient } from './cluster-client.js';
import { startInProcessNode, type ClusterNode } from './cluster-nodes.js';
import { broadcastUntilSteady, receivedAll } from './failover-broadcasts.js';

/** The default `requestTimeout`: the longest a cross-node call may take to fail. */
const REQUEST_TIMEOUT = 2_000;

describe('a Redis outage', () => {
  // Always a redis-server of our own, even with REDIS_URL: the test kills it.
  let redis: TestRedis;
  let keyPrefix: string;
  const nodes: ClusterNode[] = [];
  const clients: ClusterClient[] = [];

  beforeEach(async () => {
    redis = await TestRedis.start();
    keyPrefix = `kws-test-${randomUUID()}`;
    nodes.push(
      ...(await Promise.all([
        startInProcessNode({ redis: redis.url, keyPrefix }),
        startInProcessNode({ redis: redis.url, keyPrefix }),
      ])),
    );
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

  it('keeps local traffic going, fails cross-node calls fast, and rejoins once Redis is back', async () => {
    const [nodeA, nodeB] = nodes;
    const a1 = await open(nodeA);
    const a2 = await open(nodeA);
    const b1 = await open(nodeB);
    const [a1Id, a2Id] = [await a1.ask('whoami'), await a2.ask('whoami')];
    expect(await b1.ask(`emitto ${a1Id} before`)).toBe('ok');

    await redis.stop();
    // Local: delivered as usual, Redis or not.
    expect(await a1.ask(`emitto ${a2Id} local`)).toBe('ok');
    // A broadcast still reaches this node's clients, and says the rest of the cluster was missed.
    expect(await a1.ask('broadcast during')).toBe('KwsClusterUnavailableError');
    expect(await a2.waitForMessages(2)).toEqual(['local', 'during']);
    // Cross-node: a clear error, not a hang.
    const startedAt = Date.now();
    expect(await b1.ask(`emitto ${a1Id} lost`)).toBe('KwsClusterUnavailableError');
    expect(await b1.ask('count')).toBe('KwsClusterUnavailableError');
    expect(await a1.ask(`setuuid ${randomUUID()}`)).toBe('KwsClusterUnavailableError');
    expect(Date.now() - startedAt).toBeLessThan(3 * REQUEST_TIMEOUT);
    // A client that connects during the outage is served locally and joins the cluster later.
    const a3 = await open(nodeA);
    const a3Id = await a3.ask('whoami');

    // Restarted empty (no persistence): the nodes rebuild the directory on their own.
    await redis.restart();
    expect(await askUntil(b1, `emitto ${a1Id} after`, (answer) => answer === 'ok')).toBe('ok');
    expect(await b1.ask(`emitto ${a3Id} joined`)).toBe('ok');
    expect(await askUntil(b1, 'count', (n) => n === '4')).toBe('4');
    expect(await b1.ask('broadcast back')).toBe('ok');
    expect(await a1.waitForMessages(4)).toEqual(['before', 'during', 'after', 'back']);
    expect(await a3.waitForMessages(2)).toEqual(['joined', 'back']);
  });

  it('right after Redis restarts empty, no broadcast reports success without reaching the other node', async () => {
    const [nodeA, nodeB] = nodes;
    const a1 = await open(nodeA);
    const b1 = await open(nodeB);
    expect(await askUntil(a1, 'count', (n) => n === '2')).toBe('2');
    // A remembers the nodes its heartbeats saw: B must have been seen once before Redis goes.
    expect(await askUntil(a1, 'nodes', (n) => n === '2')).toBe('2');
    await redis.stop();
    await redis.restart();
    // Broadcast as fast as possible while the nodes reconnect and rejoin, until three in a row
    // succeed. Each may fail (unreachable, incomplete, unknown), but none may succeed silently
    // without B's client getting it.
    const succeeded = await broadcastUntilSteady(a1, { name: 'r', pauseMs: 0 });
    const got = await receivedAll(b1, succeeded);
    for (const message of succeeded) expect(got).toContain(message);
  });

  it('right after Redis restarts empty, a room broadcast does not report success while a node of the room has not rejoined', async () => {
    const [nodeA] = nodes;
    // C reaches Redis through a proxy that can keep it away after the restart.
    const proxy = await FaultProxy.start(redis.port);
    const nodeC = await startInProcessNode({ redis: proxy.url, keyPrefix });
    nodes.push(nodeC);
    const a1 = await open(nodeA);
    const c1 = await open(nodeC);
    expect(await askUntil(a1, 'count', (n) => n === '2')).toBe('2');
    // A has seen C alive (A, B and C) in a heartbeat.
    expect(await askUntil(a1, 'nodes', (n) => n === '3')).toBe('3');
    expect(await c1.ask('join lobby')).toBe('ok');
    expect(await askUntil(a1, 'roomsize lobby', (n) => n === '1')).toBe('1');

    proxy.refuse(true);
    for (const connection of proxy.open()) connection.cut();
    await redis.stop();
    await redis.restart();
    // A is back first; the room's directory entries are gone until C rejoins, so A cannot tell
    // whether C holds members: it must not answer ok.
    const first = await askUntil(
      a1,
      'broadcast-to lobby early',
      (answer) => answer !== 'KwsClusterUnavailableError' && answer !== 'KwsOutcomeUnknownError',
    );
    expect(first).toBe('KwsBroadcastIncompleteError');

    proxy.refuse(false);
    const succeeded = await broadcastUntilSteady(a1, {
      command: 'broadcast-to lobby',
      name: 'r',
      pauseMs: 0,
    });
    const got = await receivedAll(c1, succeeded);
    for (const message of succeeded) expect(got).toContain(message);
    expect(await a1.ask('roomsize lobby')).toBe('1');
    await proxy.stop();
  });

  it('lets a node start while Redis is down; it serves locally and joins once Redis is up', async () => {
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
    await redis.stop();
    const keyPrefix = `kws-test-${randomUUID()}`;
    const early = await startInProcessNode({ redis: redis.url, keyPrefix });
    nodes.push(early);
    const e1 = await open(early);
    const e2 = await open(early);
    expect(await e1.ask(`emitto ${await e2.ask('whoami')} local`)).toBe('ok');
    expect(await e2.waitForMessages(1)).toEqual(['local']);

    await redis.restart();
    const late = await startInProcessNode({ redis: redis.url, keyPrefix });
    nodes.push(late);
    const l1 = await open(late);
    const e1Id = await e1.ask('whoami');
    expect(await askUntil(l1, `emitto ${e1Id} joined`, (answer) => answer === 'ok')).toBe('ok');
    expect(await e1.waitForMessages(1)).toEqual(['joined']);
    expect(await askUntil(l1, 'count', (n) => n === '3')).toBe('3');
  });
});
