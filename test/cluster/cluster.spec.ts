import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { askUntil, ClusterClient } from './cluster-client.js';
import { startInProcessNode, startProcessNode, type ClusterNode } from './cluster-nodes.js';
import { startTopology, TOPOLOGIES, type TestTopology } from './topologies.js';

/**
 * Three nodes behind one Redis: A and B in this process (TypeScript sources), C in a process of
 * its own (built library). Two clients on each; every operation is driven through them. The same
 * tests run on a standalone Redis and on a Redis Cluster of three masters.
 */
describe.each(TOPOLOGIES)('cluster mode across three nodes, on %s', (topology) => {
  let redis: TestTopology;
  const nodes: ClusterNode[] = [];
  let clients: ClusterClient[] = [];
  let [a1, a2, b1, b2, c1, c2]: ClusterClient[] = [];
  const uuid = new Map<ClusterClient, string>();

  beforeAll(async () => {
    redis = await startTopology(topology);
    const keyPrefix = `kws-test-${randomUUID()}`;
    nodes.push(
      ...(await Promise.all([
        startInProcessNode({ redis: redis.redis(), keyPrefix }),
        startInProcessNode({ redis: redis.redis(), keyPrefix }),
        startProcessNode(redis.processUrl, keyPrefix),
      ])),
    );
  });

  afterAll(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
    await redis?.stop();
  });

  beforeEach(async () => {
    clients = await Promise.all(
      nodes.flatMap((node) => [node, node]).map((n) => ClusterClient.open(n.url)),
    );
    [a1, a2, b1, b2, c1, c2] = clients;
    for (const client of clients) uuid.set(client, await client.ask('whoami'));
    // Every node sees the same six (the previous test's clients are gone everywhere).
    for (const client of [a1, b1, c1]) {
      expect(await askUntil(client, 'count', (n) => n === '6')).toBe('6');
    }
  });

  afterEach(() => {
    for (const client of clients) client.terminate();
  });

  it('broadcast reaches every client on every node exactly once, and skips the sender on request', async () => {
    expect(await a1.ask('broadcast from-a')).toBe('ok');
    expect(await c1.ask('broadcast-except from-c')).toBe('ok');
    // A last broadcast from each sender marks the end, so a duplicate would show before it.
    expect(await a1.ask('broadcast end-a')).toBe('ok');
    expect(await c1.ask('broadcast end-c')).toBe('ok');
    for (const client of clients) {
      const got = await client.waitForMessages(client === c1 ? 3 : 4);
      const fromA = got.filter((m) => m.endsWith('-a'));
      const fromC = got.filter((m) => m.endsWith('-c'));
      expect(fromA).toEqual(['from-a', 'end-a']);
      expect(fromC).toEqual(client === c1 ? ['end-c'] : ['from-c', 'end-c']);
    }
  });

  it('a room broadcast reaches the members on every node once, not the sender nor non-members', async () => {
    for (const member of [a1, a2, b2, c1]) expect(await member.ask('join blue')).toBe('ok');
    expect(await a1.ask('broadcast-to blue blue-news')).toBe('ok');
    expect(await a1.ask('broadcast end')).toBe('ok');
    for (const client of clients) {
      const member = client === a2 || client === b2 || client === c1;
      const expected = member ? ['blue-news', 'end'] : ['end'];
      expect(await client.waitForMessages(expected.length)).toEqual(expected);
    }
  });

  it('emitTo reaches a uuid on another node, and an unknown uuid fails with KwsInvalidConnectionError', async () => {
    expect(await a1.ask(`emitto ${uuid.get(c2)} hi-c2`)).toBe('ok');
    expect(await c1.ask(`emitto ${uuid.get(b1)} hi-b1`)).toBe('ok');
    expect(await b2.ask(`emitto ${uuid.get(b1)} local-b1`)).toBe('ok');
    expect(await c2.waitForMessages(1)).toEqual(['hi-c2']);
    expect(await b1.waitForMessages(2)).toEqual(['hi-b1', 'local-b1']);
    expect(await a1.ask(`emitto ${randomUUID()} nobody`)).toBe('KwsInvalidConnectionError');
    expect(await c1.ask('emitto ghost nobody')).toBe('KwsInvalidConnectionError');
  });

  it('emitToList reaches each uuid wherever it lives and reports the unknown ones', async () => {
    const targets = [b1, c1, a2, c2].map((client) => uuid.get(client));
    expect(await a1.ask(`emitlist ${[...targets, 'ghost'].join(',')} listed`)).toBe('ghost');
    for (const client of [b1, c1, a2, c2])
      expect(await client.waitForMessages(1)).toEqual(['listed']);
    expect(a1.messages()).toEqual([]);
    expect(b2.messages()).toEqual([]);
  });

  it('keeps the order of calls from one node to one recipient (on Redis Cluster: per directory shard)', async () => {
    expect(await a1.ask(`sequence ${uuid.get(c1)}`)).toBe('ok');
    const got = await c1.waitForMessages(5);
    if (topology === 'standalone Redis') {
      expect(got).toEqual(['seq-1', 'seq-2', 'seq-3', 'seq-4', 'seq-5']);
    } else {
      // The broadcast (seq-3) goes through shard 0, the others through the uuid's shard: those
      // keep their order, the broadcast may land anywhere between them.
      expect(got.filter((m) => m !== 'seq-3')).toEqual(['seq-1', 'seq-2', 'seq-4', 'seq-5']);
      expect(got.filter((m) => m === 'seq-3')).toEqual(['seq-3']);
    }
  });

  it('fire runs the listeners once per connection, on the node that holds it', async () => {
    expect(await b1.ask('fire hello x')).toBe('ok');
    expect(await b1.ask('broadcast end')).toBe('ok');
    for (const client of clients) {
      expect(await client.waitForMessages(2)).toEqual(['fired:hello:x', 'end']);
    }
  });

  it('close and count work across nodes', async () => {
    expect(await a1.ask(`close ${uuid.get(c2)}`)).toBe('ok');
    expect(await c2.client.closed).toEqual({ code: 4001, reason: 'closed remotely' });
    expect(await c1.ask(`close ${uuid.get(a2)}`)).toBe('ok');
    expect(await a2.client.closed).toEqual({ code: 4001, reason: 'closed remotely' });
    expect(await b1.ask('close ghost')).toBe('KwsInvalidConnectionError');
    for (const client of [a1, b1, c1]) {
      expect(await askUntil(client, 'count', (n) => n === '4')).toBe('4');
    }
  });

  it('setUUID refuses a uuid held on another node, atomically', async () => {
    const name = `alice-${randomUUID()}`;
    expect(await a1.ask(`setuuid ${name}`)).toBe('ok');
    expect(await c1.ask(`setuuid ${name}`)).toBe('KwsUUIDDuplicationError');
    expect(await b1.ask(`setuuid ${name}`)).toBe('KwsUUIDDuplicationError');
    expect(await c2.ask(`emitto ${name} to-alice`)).toBe('ok');
    expect(await a1.waitForMessages(1)).toEqual(['to-alice']);
    // Five connections on three nodes race for one name: exactly one wins.
    const contested = `bob-${randomUUID()}`;
    const racers = [a2, b1, b2, c1, c2];
    const answers = await Promise.all(racers.map((client) => client.ask(`setuuid ${contested}`)));
    expect(answers.filter((answer) => answer === 'ok')).toHaveLength(1);
    expect(answers.filter((answer) => answer === 'KwsUUIDDuplicationError')).toHaveLength(4);
    // The old uuid of the winner is released, the name now routes to it.
    const winner = racers[answers.indexOf('ok')];
    expect(await a1.ask(`emitto ${uuid.get(winner)} old`)).toBe('KwsInvalidConnectionError');
    expect(await a1.ask(`emitto ${contested} new`)).toBe('ok');
    expect(await winner.waitForMessages(1)).toEqual(['new']);
  });

  it('closeAll closes every connection on every node', async () => {
    b1.client.send('closeall');
    for (const client of clients) {
      expect(await client.client.closed).toEqual({ code: 4002, reason: 'all closed' });
    }
  });
});
