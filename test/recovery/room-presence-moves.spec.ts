import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KwsClient } from '../../src/client/index.js';
import type { KwsPresenceEvent, KwsServer } from '../../src/index.js';
import { TestRedis } from '../helpers/redis-server.js';
import { eventually } from '../helpers/ws-client.js';
import { openCuttable } from './cuttable-client.js';
import { startRecoveryNode } from './recovery-nodes.js';

const MAX_DISCONNECTION = 2_000;
const TIMINGS = { heartbeatInterval: 100, nodeTtl: 1_000 };
/** Slack for a loaded 2-core machine: waits for conditions, never a speed assertion. */
const WAIT = 15_000;

type Node = Awaited<ReturnType<typeof startRecoveryNode>>;

/** Reads (async) until `check` passes; fails the test when `WAIT` passes first. */
async function until<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Room presence while a session moves between nodes (cluster mode with recovery): a handover at
 * shutdown and a resume on another node after a link drop move the session's rooms in the
 * directory without a `leave`/`join` on any node, and the room lists it throughout; a session that
 * never comes back leaves once, after maxDisconnection. Three nodes on one real redis-server, a
 * presence listener on each.
 */
describe('room presence does not flicker when a session moves to another node', () => {
  let redis: TestRedis;
  let admin: Redis;
  let keyPrefix = '';
  let nodes: Node[] = [];
  const clients: KwsClient[] = [];
  /** Every presence event, from every node: "<node> <type> <room> <uuid> <reason>". */
  let events: string[] = [];

  beforeAll(async () => {
    redis = await TestRedis.start();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const node of nodes.splice(0)) await node.stop().catch(() => undefined);
  });

  async function startNodes(): Promise<Node[]> {
    keyPrefix = `kws-moves-${randomUUID()}`;
    events = [];
    nodes = [];
    for (const name of ['A', 'B', 'C']) {
      const node = await startRecoveryNode(
        { redis: redis.url, keyPrefix, ...TIMINGS },
        MAX_DISCONNECTION,
      );
      node.server.onPresence((e: KwsPresenceEvent) =>
        events.push(`${name} ${e.type} ${e.room} ${e.uuid} ${e.reason}`),
      );
      nodes.push(node);
    }
    return nodes;
  }

  /** A client on `node`, in rooms red and blue; resolves once every node lists it in both. */
  async function member(node: Node) {
    const opened = await openCuttable(`ws://127.0.0.1:${node.port}/ws`, clients, {
      retries: 1_000,
    });
    await opened.client.request('join', 'red');
    await opened.client.request('join', 'blue');
    const uuid = opened.sessions[0].uuid;
    for (const { server } of nodes) await listed(server, uuid);
    return { ...opened, uuid };
  }

  function listed(server: KwsServer, uuid: string): Promise<unknown> {
    return until(
      async () =>
        (await server.roomMembers('red')).includes(uuid) &&
        (await server.roomMembers('blue')).includes(uuid),
      (ok) => ok,
    );
  }

  /**
   * Reads `roomMembers` and `roomSize` of both rooms from `server` again and again until `stop`
   * settles; resolves with the reads that missed the member (there must be none).
   */
  async function sample(server: KwsServer, uuid: string, stop: Promise<unknown>) {
    let done = false;
    void stop.finally(() => (done = true));
    const missed: string[] = [];
    let reads = 0;
    while (!done || reads === 0) {
      for (const room of ['red', 'blue']) {
        const [members, size] = await Promise.all([
          server.roomMembers(room),
          server.roomSize(room),
        ]);
        if (!members.includes(uuid) || size !== 1) missed.push(`${room}: ${members} (${size})`);
      }
      reads++;
    }
    return { missed, reads };
  }

  /** The parked owners and the retired sets are gone: nothing left that could still announce. */
  function settled(): Promise<unknown> {
    return until(
      async () =>
        (await admin.exists(`${keyPrefix}:parked`)) + (await admin.hlen(`${keyPrefix}:gc`)),
      (n) => n === 0,
    );
  }

  const joins = (uuid: string) => [`A join blue ${uuid} joined`, `A join red ${uuid} joined`];

  it('a shutdown handover: the client resumes on B; no leave or join on any node, listed throughout', async () => {
    const [a, b, c] = await startNodes();
    const { client, cuttable, sessions, uuid } = await member(a);
    cuttable.port = b.port; // the balancer sends the reconnect to B
    const resumed = eventually(
      () => sessions.length,
      (n) => n === 2,
      WAIT,
    );
    const reads = sample(
      c.server,
      uuid,
      resumed.then(() => listed(b.server, uuid)),
    );
    await a.stop(); // SIGTERM: the sessions are handed over
    nodes.splice(0, 1);
    await resumed;
    expect(sessions[1]).toEqual({ uuid, recovered: true });
    const { missed, reads: count } = await reads;
    expect(missed).toEqual([]);
    expect(count).toBeGreaterThan(0);
    expect(((await client.request('whoami', undefined)) as { rooms: string[] }).rooms).toEqual([
      'red',
      'blue',
    ]);
    // Past the handed-over rooms' lifetime (maxDisconnection): adopted, so nothing leaves.
    await settled();
    expect(events.sort()).toEqual(joins(uuid));
    // A real end afterwards still leaves once per room, announced by the node that holds it.
    client.close();
    await eventually(
      () => events.length,
      (n) => n === 4,
      WAIT,
    );
    expect(events.slice(2).sort()).toEqual([
      `B leave blue ${uuid} disconnected`,
      `B leave red ${uuid} disconnected`,
    ]);
  });

  it('a link drop, then a resume on B while A lives: no leave or join on any node, listed throughout', async () => {
    const [a, b, c] = await startNodes();
    const { cuttable, sessions, uuid } = await member(a);
    cuttable.port = b.port;
    const resumed = eventually(
      () => sessions.length,
      (n) => n === 2,
      WAIT,
    );
    // A lets it go once it reads that the session moved: then its pool no longer has it.
    const released = resumed.then(() =>
      eventually(
        () => a.server.get(uuid),
        (kws) => kws === undefined,
        WAIT,
      ),
    );
    const reads = sample(
      c.server,
      uuid,
      released.then(() => listed(b.server, uuid)),
    );
    cuttable.cut();
    await resumed;
    expect(sessions[1]).toEqual({ uuid, recovered: true });
    const { missed } = await reads;
    expect(missed).toEqual([]);
    for (const { server } of nodes) await listed(server, uuid);
    await settled();
    expect(events.sort()).toEqual(joins(uuid));
  });

  it('a session that never comes back leaves each room once, after maxDisconnection (link drop; handover)', async () => {
    const [a, b] = await startNodes();
    const dropped = await member(b);
    const handedOver = await member(a);
    // Their reconnects go nowhere.
    dropped.cuttable.port = 1;
    handedOver.cuttable.port = 1;
    const since = performance.now();
    dropped.cuttable.cut();
    await a.stop();
    nodes.splice(0, 1);
    // Handed over: still listed while it may come back.
    for (const room of ['red', 'blue']) {
      expect(await b.server.roomMembers(room)).toContain(handedOver.uuid);
    }
    await eventually(
      () => events.filter((e) => e.includes(' leave ')).length,
      (n) => n >= 4,
      WAIT,
    );
    await settled();
    expect(performance.now() - since).toBeGreaterThanOrEqual(MAX_DISCONNECTION);
    // The dropped one from B, which held it suspended; the handed-over one from the node whose
    // heartbeat found its parked rooms expired (B or C).
    const leaves = events.filter((e) => e.includes(' leave ')).map((e) => e.slice(2));
    expect(leaves.sort()).toEqual(
      [
        `leave blue ${dropped.uuid} disconnected`,
        `leave red ${dropped.uuid} disconnected`,
        `leave blue ${handedOver.uuid} disconnected`,
        `leave red ${handedOver.uuid} disconnected`,
      ].sort(),
    );
    expect(events.filter((e) => e.includes(` leave `) && e.includes(dropped.uuid))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^B /)]),
    );
    for (const room of ['red', 'blue']) expect(await b.server.roomMembers(room)).toEqual([]);
  });
});
