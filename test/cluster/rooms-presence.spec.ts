import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KwsModule, KwsServer } from '../../src/index.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { eventuallyAsync } from '../helpers/ws-client.js';
import { askUntil, ClusterClient } from './cluster-client.js';
import { startInProcessNode, startProcessNode, type ClusterNode } from './cluster-nodes.js';
import { installClusterCommands } from './fixtures/cluster-commands.mjs';
import { startTopology, TOPOLOGIES, type TestTopology } from './topologies.js';

const TIMINGS = { heartbeatInterval: 100, nodeTtl: 600 };
/** Slack for a loaded 2-core machine; the assertions are about liveness, not speed. */
const SLACK = 3_000;

/** Every presence event the nodes announced, whichever node announced it. */
async function presenceLog(askers: ClusterClient[]): Promise<string[]> {
  const logs = await Promise.all(askers.map((client) => client.ask('presence')));
  return logs.flatMap((log) => (log === '' ? [] : log.split('|'))).sort();
}

describe.each(TOPOLOGIES)('cluster-wide rooms and presence, on %s', (topology) => {
  let redis: TestTopology;
  const nodes: ClusterNode[] = [];
  const clients: ClusterClient[] = [];

  beforeAll(async () => {
    redis = await startTopology(topology);
    const keyPrefix = `kws-test-${randomUUID()}`;
    nodes.push(
      ...(await Promise.all([
        startInProcessNode({ redis: redis.redis(), keyPrefix, ...TIMINGS }),
        startInProcessNode({ redis: redis.redis(), keyPrefix, ...TIMINGS }),
        startProcessNode(redis.processUrl, keyPrefix, TIMINGS),
      ])),
    );
  });

  afterAll(async () => {
    for (const client of clients.splice(0)) client.terminate();
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
    await redis.stop();
  });

  it('counts, lists and changes members on every node, announces each change once, and a dead node’s members leave', async () => {
    const [a, b, c] = nodes;
    // Two clients per node: the first of each asks, the second is a member.
    const [a0, a1, b0, b1, c0, c1] = await Promise.all(
      [a, a, b, b, c, c].map((node) => ClusterClient.open(node.url)),
    );
    clients.push(a0, a1, b0, b1, c0, c1);
    const askers = [a0, b0, c0];
    const [idA, idB, idC] = await Promise.all([a1, b1, c1].map((client) => client.ask('whoami')));
    // Every node registered (the one in a process of its own can be slow to on a loaded machine).
    expect(await askUntil(a0, 'count', (n) => n === '6', 5_000 + SLACK)).toBe('6');

    expect(await a1.ask('join blue')).toBe('ok');
    expect(await b1.ask('join blue')).toBe('ok');
    expect(await c1.ask('join red')).toBe('ok');
    const blue = [idA, idB].sort().join(',');
    for (const asker of askers) {
      expect(await askUntil(asker, 'members blue', (m) => m === blue)).toBe(blue);
      expect(await asker.ask('roomsize blue')).toBe('2');
      expect(await asker.ask('rooms')).toBe('blue,red');
    }

    // Server-side, for a connection on another node: C's member joins blue from A.
    expect(await a0.ask(`server-join ${idC} blue`)).toBe('ok');
    expect(await askUntil(b0, 'roomsize blue', (n) => n === '3')).toBe('3');
    expect(await b0.ask('broadcast-to blue to-blue')).toBe('ok');
    for (const member of [a1, b1, c1]) expect(await member.waitForMessages(1)).toEqual(['to-blue']);
    // From B, A's member leaves blue.
    expect(await b0.ask(`server-leave ${idA} blue`)).toBe('ok');
    expect(await askUntil(c0, 'roomsize blue', (n) => n === '2')).toBe('2');
    expect(await a0.ask('server-join nobody blue')).toBe('KwsInvalidConnectionError');

    // A member that disconnects leaves every room.
    b1.terminate();
    const left = [idC].join(',');
    expect(await askUntil(a0, 'members blue', (m) => m === left)).toBe(left);

    expect(await presenceLog(askers)).toEqual(
      [
        `join blue ${idA} joined`,
        `join blue ${idB} joined`,
        `join red ${idC} joined`,
        `join blue ${idC} joined`,
        `leave blue ${idA} left`,
        `leave blue ${idB} disconnected`,
      ].sort(),
    );

    // C dies: its members leave every room within nodeTtl, announced once by a survivor.
    await (c as ClusterNode & { kill(signal: string): Promise<void> }).kill('SIGKILL');
    expect(await askUntil(a0, 'rooms', (r) => r === '', TIMINGS.nodeTtl + SLACK)).toBe('');
    expect(await a0.ask('roomsize blue')).toBe('0');
    const deaths = [`leave blue ${idC} node-died`, `leave red ${idC} node-died`];
    const survivors = [a0, b0];
    const announced = async () =>
      (await presenceLog(survivors)).filter((e) => e.endsWith('node-died'));
    expect(await eventuallyAsync(announced, (seen) => seen.length >= 2, SLACK)).toEqual(deaths);
  });
});

describe('rooms and presence without cluster mode', () => {
  let running: RunningApp;
  const clients: ClusterClient[] = [];

  beforeAll(async () => {
    running = await startApp(KwsModule.forRoot({ path: '/ws' }));
    installClusterCommands(running.app.get(KwsServer));
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.terminate();
  });

  afterAll(async () => {
    await running.app.close();
  });

  it('offers the same calls on one node', async () => {
    const [asker, one, two] = await Promise.all(
      [1, 2, 3].map(() => ClusterClient.open(running.wsUrl('/ws'))),
    );
    clients.push(asker, one, two);
    const [idOne, idTwo] = await Promise.all([one.ask('whoami'), two.ask('whoami')]);
    expect(await one.ask('join green')).toBe('ok');
    expect(await asker.ask(`server-join ${idTwo} green`)).toBe('ok');
    expect(await asker.ask('roomsize green')).toBe('2');
    expect(await asker.ask('members green')).toBe([idOne, idTwo].sort().join(','));
    expect(await asker.ask('rooms')).toBe('green');
    expect(await asker.ask(`server-leave ${idOne} green`)).toBe('ok');
    two.terminate();
    expect(await askUntil(asker, 'rooms', (r) => r === '')).toBe('');
    expect(await asker.ask('server-join nobody green')).toBe('KwsInvalidConnectionError');
    expect((await asker.ask('presence')).split('|').sort()).toEqual(
      [
        `join green ${idOne} joined`,
        `join green ${idTwo} joined`,
        `leave green ${idOne} left`,
        `leave green ${idTwo} disconnected`,
      ].sort(),
    );
  });
});
