import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryShard, REDIS_CLUSTER_SHARDS } from '../../src/cluster/connection.directory.js';
import { TestRedisCluster } from '../helpers/redis-cluster.js';
import { eventually } from '../helpers/ws-client.js';
import { askUntil, ClusterClient } from './cluster-client.js';
import { startInProcessNode, type ClusterNode } from './cluster-nodes.js';
import type { KwsServer } from '../../src/index.js';

type Node = ClusterNode & { server: KwsServer };

/**
 * What a caller is told while a master of the Redis Cluster fails over: messages still arrive in
 * the order of the calls, and a connected user is never reported unknown because the directory
 * lost track of its node for a moment.
 */
describe('Redis Cluster failover: order and errors', () => {
  let redis: TestRedisCluster;
  const templates: Cluster[] = [];
  const keyPrefix = `kws-test-${randomUUID()}`;
  const nodes: Node[] = [];
  const clients: ClusterClient[] = [];

  beforeAll(async () => {
    redis = await TestRedisCluster.start({ replicas: true });
    for (let i = 0; i < 2; i++) {
      const template = new Cluster(redis.nodes.slice(0, 3), { lazyConnect: true });
      templates.push(template);
      nodes.push(
        await startInProcessNode({
          redis: template,
          keyPrefix,
          // A failover (node timeout 2 s, then the election) lasts longer than nodeTtl.
          heartbeatInterval: 200,
          nodeTtl: 1_000,
          requestTimeout: 1_000,
        }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.terminate();
    await Promise.all(nodes.map((node) => node.stop()));
    for (const template of templates) template.disconnect();
    await redis?.stop();
  });

  let user: Promise<{ b1: ClusterClient; uuid: string }> | undefined;

  /**
   * One client on node B, known to node A, shared by the tests: the first kills another master,
   * so the master of this user's shard still has a replica to fail over to in the second.
   */
  function userOnB(): Promise<{ b1: ClusterClient; uuid: string }> {
    user ??= openUserOnB();
    return user;
  }

  async function openUserOnB(): Promise<{ b1: ClusterClient; uuid: string }> {
    const b1 = await ClusterClient.open(nodes[1].url);
    clients.push(b1);
    const uuid = await b1.ask('whoami');
    // Registered once A reaches it (a registration takes a round trip).
    const deadline = Date.now() + 15_000;
    while (
      !(await nodes[0].server.emitTo(uuid, 'hi').then(
        () => true,
        () => false,
      ))
    ) {
      if (Date.now() > deadline) throw new Error(`${uuid} never reached from node A`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // A remembers the nodes its heartbeats saw: B must have been seen once before the failover.
    await eventually(
      () => nodes[0].server.stats().cluster?.nodes,
      (seen) => seen === 2,
    );
    expect(nodes[0].server.stats().cluster?.nodes).toBe(2);
    return { b1, uuid };
  }

  /** The master serving `uuid`'s directory shard. */
  function shardMaster(uuid: string): Promise<number> {
    return redis.masterOf(`{${keyPrefix}:${directoryShard(uuid, REDIS_CLUSTER_SHARDS)}}:dir`);
  }

  it('emitTo calls made during a failover arrive in call order, also in a shard whose master stayed up', async () => {
    const { b1, uuid } = await userOnB();
    const own = await shardMaster(uuid);
    // Another master dies: the uuid's own shard keeps its master throughout.
    let victim = own;
    for (let k = 0; victim === own; k++) victim = await redis.masterOf(`pick-${k}`);
    await redis.kill(victim);

    // One call every 5 ms, not awaited one by one: the order of arrival must be the call order.
    const answers: Array<Promise<string>> = [];
    const deadline = Date.now() + 25_000;
    let okInARow = 0;
    let failures = 0;
    for (let i = 0; Date.now() < deadline && (failures === 0 || okInARow < 200); i++) {
      const answer = nodes[0].server.emitTo(uuid, `o${i}`).then(
        () => 'ok',
        (error: Error) => error.name,
      );
      answers.push(answer);
      void answer.then((name) => {
        okInARow = name === 'ok' ? okInARow + 1 : 0;
        if (name !== 'ok') failures++;
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const settled = await Promise.all(answers);
    const failed = settled.filter((name) => name !== 'ok');
    // The failover was seen (some calls failed), and said so with an error that tells what.
    expect(failed.length, runs(settled)).toBeGreaterThan(0);
    for (const name of failed) expect(name).toMatch(/^Kws\w+Error$/);
    const ok = settled.flatMap((name, i) => (name === 'ok' ? [`o${i}`] : []));
    const got = await eventually(
      () => b1.messages().filter((m) => m.startsWith('o')),
      (all) => ok.every((m) => all.includes(m)),
      10_000,
    );
    const order = got.map((m) => Number(m.slice(1)));
    const inversions = order.filter((n, i) => i > 0 && n < order[i - 1]);
    expect(inversions, runs(settled)).toEqual([]);
  }, 90_000);

  it('emitTo to a connected user during a failover longer than nodeTtl never answers KwsInvalidConnectionError', async () => {
    const { b1, uuid } = await userOnB();
    await redis.kill(await shardMaster(uuid));
    const answers: string[] = [];
    const deadline = Date.now() + 25_000;
    for (let okInARow = 0; okInARow < 20 && Date.now() < deadline;) {
      const answer = await nodes[0].server.emitTo(uuid, 'probe').then(
        () => 'ok',
        (error: Error) => error.name,
      );
      answers.push(answer);
      okInARow = answer === 'ok' ? okInARow + 1 : 0;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(
      answers.slice(-20).every((answer) => answer === 'ok'),
      runs(answers),
    ).toBe(true);
    // Not sent, or outcome unknown: never "no such user", while the user stayed connected.
    expect(
      answers.filter((answer) => answer === 'KwsInvalidConnectionError'),
      runs(answers),
    ).toEqual([]);
    expect(await askUntil(b1, 'whoami', (a) => a === uuid)).toBe(uuid);
  }, 90_000);
});

/** "ok×12 KwsClusterUnavailableError×3 ...": a sequence of answers, run-length encoded. */
function runs(answers: readonly string[]): string {
  const out: string[] = [];
  let last = '';
  let n = 0;
  for (const answer of [...answers, '']) {
    if (answer === last) n++;
    else {
      if (n > 0) out.push(`${last}×${n}`);
      last = answer;
      n = 1;
    }
  }
  return out.join(' ');
}
