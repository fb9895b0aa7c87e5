import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryShard, REDIS_CLUSTER_SHARDS } from '../../src/cluster/connection.directory.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { TestRedisCluster } from '../helpers/redis-cluster.js';
import { eventually } from '../helpers/ws-client.js';
import { askUntil, ClusterClient } from './cluster-client.js';
import { startInProcessNode, type ClusterNode } from './cluster-nodes.js';
import { broadcastUntilSteady, receivedAll } from './failover-broadcasts.js';

const TIMINGS = { heartbeatInterval: 100, nodeTtl: 1_000, requestTimeout: 1_000 };

/**
 * Faults between a node and one master of a Redis Cluster: node A reaches the master that holds
 * the broadcast channel's slot through a real TCP proxy (ioredis' `natMap` sends it there), node B
 * directly. ioredis' cluster client re-sends a command whose connection closed before its reply
 * (after `retryDelayOnFailover`); the node turns that off, so a message is never delivered twice.
 */
describe('Redis Cluster faults between a node and a master', () => {
  let redis: TestRedisCluster;
  let proxy: FaultProxy;
  const templates: Cluster[] = [];
  const nodes: ClusterNode[] = [];
  const clients: ClusterClient[] = [];
  const keyPrefix = `kws-test-${randomUUID()}`;

  beforeAll(async () => {
    redis = await TestRedisCluster.start();
    const port = await redis.masterOf(`{${keyPrefix}:0}:broadcast`);
    proxy = await FaultProxy.start(port);
    const natMap = { [`127.0.0.1:${port}`]: { host: '127.0.0.1', port: proxy.port } };
    const proxied = new Cluster(redis.nodes, { lazyConnect: true, natMap });
    const direct = new Cluster(redis.nodes, { lazyConnect: true });
    templates.push(proxied, direct);
    nodes.push(await startInProcessNode({ redis: proxied, keyPrefix, ...TIMINGS }));
    nodes.push(await startInProcessNode({ redis: direct, keyPrefix, ...TIMINGS }));
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.terminate();
    await Promise.all(nodes.map((node) => node.stop()));
    for (const template of templates) template.disconnect();
    await proxy?.stop();
    await redis?.stop();
  });

  let a1: ClusterClient;
  let b1: ClusterClient;

  beforeAll(async () => {
    [a1, b1] = await Promise.all(nodes.map((node) => ClusterClient.open(node.url)));
    clients.push(a1, b1);
    expect(await askUntil(a1, 'count', (n) => n === '2', 10_000)).toBe('2');
    expect(await askUntil(a1, 'broadcast warm', (answer) => answer === 'ok')).toBe('ok');
    await eventually(
      () => b1.messages(),
      (all) => all.includes('warm'),
    );
  }, 30_000);

  /** Arms every command connection of A to the proxied master: the one that carries it cuts. */
  function dropReplyOf(marker: string): Promise<void> {
    const armed = proxy.open().filter((connection) => !connection.isSubscriber);
    expect(armed.length).toBeGreaterThan(0);
    return Promise.race(armed.map((connection) => connection.dropAfter(marker)));
  }

  it('a broadcast whose reply is lost is delivered once, not re-sent, and its outcome is reported unknown', async () => {
    const cut = dropReplyOf('lost-reply');
    expect(await a1.ask('broadcast lost-reply')).toBe('KwsOutcomeUnknownError');
    await cut;

    // Once A's connection is back, broadcasts succeed again; the one whose reply was lost ran
    // once on Redis and arrived once.
    const succeeded = await broadcastUntilSteady(a1);
    const got = await receivedAll(b1, succeeded);
    expect(got.filter((message) => message === 'lost-reply')).toEqual(['lost-reply']);
    expect(new Set(got).size).toBe(got.length);
  }, 60_000);

  it('an emitTo whose reply is lost is delivered once, not re-sent, and its outcome is reported unknown', async () => {
    // B's connection takes a uuid of directory shard 0, whose slot the proxied master holds.
    let uuid = '';
    for (let i = 0; directoryShard(uuid, REDIS_CLUSTER_SHARDS) !== 0 || uuid === ''; i++) {
      uuid = `shard0-${randomUUID()}-${i}`;
    }
    expect(await b1.ask(`setuuid ${uuid}`)).toBe('ok');
    expect(await askUntil(a1, `emitto ${uuid} ready`, (answer) => answer === 'ok')).toBe('ok');

    const cut = dropReplyOf('lost-direct');
    expect(await a1.ask(`emitto ${uuid} lost-direct`)).toBe('KwsOutcomeUnknownError');
    await cut;
    expect(await askUntil(a1, `emitto ${uuid} direct-after`, (answer) => answer === 'ok')).toBe(
      'ok',
    );
    const got = await eventually(
      () => b1.messages(),
      (all) => all.includes('direct-after'),
      10_000,
    );
    expect(got.filter((message) => message === 'lost-direct')).toEqual(['lost-direct']);
  }, 60_000);

  it('a broadcast whose reply comes after requestTimeout is reported unknown, delivered once, and not re-sent', async () => {
    const slow = proxy.open().filter((connection) => !connection.isSubscriber);
    for (const connection of slow) connection.delay(TIMINGS.requestTimeout + 500);
    expect(await a1.ask('broadcast late-reply')).toBe('KwsOutcomeUnknownError');
    for (const connection of slow) connection.delay(0);
    // Until a later broadcast has arrived (so a re-sent copy would have too): once.
    expect(await askUntil(a1, 'broadcast late-check', (answer) => answer === 'ok')).toBe('ok');
    await eventually(
      () => b1.messages(),
      (all) => all.includes('late-check'),
    );
    expect(b1.messages().filter((message) => message === 'late-reply')).toEqual(['late-reply']);
  }, 60_000);
});
