import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsServer } from '../../src/index.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { testRedisUrl } from '../helpers/redis-server.js';
import { PacketClient } from '../helpers/packet-client.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';
import { ADMIN_TOKEN, inspectedApp } from './inspector.app.js';

type Json = Record<string, any>;
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };
const ACTION = { ...ADMIN, 'content-type': 'application/json', 'x-kws-inspector': '1' };

describe('the inspector in cluster mode (two nodes, one Redis)', () => {
  let redis: { url: string; stop(): Promise<void> };
  const nodes: RunningApp[] = [];
  const clients: PacketClient[] = [];
  const keyPrefix = `kws-inspector-${randomUUID()}`;

  beforeAll(async () => {
    redis = await testRedisUrl();
    const cluster = { redis: redis.url, keyPrefix };
    for (let i = 0; i < 2; i++) nodes.push(await startApp(inspectedApp({ cluster })));
    // Both nodes joined: each one's heartbeat has seen the other.
    for (const node of nodes) {
      const server = node.app.get(KwsServer);
      await eventually(
        () => server.stats().cluster?.nodes,
        (n) => n === 2,
        10_000,
      );
    }
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(nodes.map((node) => node.app.close()));
    await redis?.stop();
  });

  const state = async (node: RunningApp): Promise<Json> =>
    (await (
      await fetch(node.httpUrl('/kws/inspect/api/state'), { headers: ADMIN })
    ).json()) as Json;

  it("one node's page shows the cluster's connections, nodes and rooms, and its own share", async () => {
    const [a, b] = nodes;
    const onB = await PacketClient.open(b.wsUrl('/ws?name=far'));
    const onA = await PacketClient.open(a.wsUrl('/ws?name=near'));
    clients.push(onB, onA);
    await onB.ask('join', 'lobby');
    await onA.ask('join', 'lobby');
    await onB.ask('join', 'far-room');

    const seenFromA = await state(a);
    expect(seenFromA.node).toBe(a.app.get(KwsServer).stats().cluster?.nodeId);
    expect(seenFromA.nodes).toBe(2);
    expect(seenFromA.connections).toEqual({ here: 1, total: 2 });
    const ids = nodes.map((node) => node.app.get(KwsServer).stats().cluster!.nodeId);
    expect(seenFromA.perNode).toEqual(
      ids.map((node) => ({ node, connections: 1 })).sort((x, y) => x.node.localeCompare(y.node)),
    );
    expect(seenFromA.rooms.shown).toEqual([
      { name: 'far-room', size: 1 },
      { name: 'lobby', size: 2 },
    ]);
    expect(seenFromA.stats.cluster).toMatchObject({ nodes: 2, registered: true });
  });

  it('shows a connection held by another node, makes it leave a room and closes it', async () => {
    const [a, b] = nodes;
    const client = await PacketClient.open(b.wsUrl('/ws?name=remote'));
    clients.push(client);
    await client.ask('join', 'ops');
    await client.ask('join', 'support');
    const uuid = [...b.app.get(KwsServer).connections()].find(
      (kws) => kws.getAttribute('name') === 'remote',
    )!.uuid;

    // Looked up on A, described by B (the node holding it).
    const lookup = await fetch(a.httpUrl(`/kws/inspect/api/connection?uuid=${uuid}`), {
      headers: ADMIN,
    });
    expect(lookup.status).toBe(200);
    expect(await lookup.json()).toEqual({
      uuid,
      node: b.app.get(KwsServer).stats().cluster!.nodeId,
      state: 'connected',
      ip: '127.0.0.1',
      rooms: ['ops', 'support'],
      channels: [],
      attributes: { name: '"remote"', profile: '{"plan":"pro","since":2024}' },
    });
    const nobody = await fetch(a.httpUrl('/kws/inspect/api/connection?uuid=nobody'), {
      headers: ADMIN,
    });
    expect(nobody.status).toBe(404);

    const left = await fetch(a.httpUrl('/kws/inspect/api/leave'), {
      method: 'POST',
      headers: ACTION,
      body: JSON.stringify({ uuid, room: 'ops' }),
    });
    expect(left.status).toBe(200);
    expect(b.app.get(KwsServer).get(uuid)?.rooms()).toEqual(['support']);

    const closed = await fetch(a.httpUrl('/kws/inspect/api/close'), {
      method: 'POST',
      headers: ACTION,
      body: JSON.stringify({ uuid }),
    });
    expect(closed.status).toBe(200);
    expect(await client.raw.closed).toEqual({ code: 1000, reason: 'Closed by the inspector' });
  });

  /** Polls a node's state until `check` holds (or `timeoutMs` passed): the last answer. */
  const stateUntil = async (
    node: RunningApp,
    check: (seen: Json) => boolean,
    timeoutMs = 10_000,
  ): Promise<Json> => {
    const deadline = Date.now() + timeoutMs;
    let seen = await state(node);
    while (!check(seen) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      seen = await state(node);
    }
    return seen;
  };
  const nodeId = (node: RunningApp): string => node.app.get(KwsServer).stats().cluster!.nodeId;
  const seriesOf = (seen: Json, node: string): Json[] | undefined =>
    seen.series?.nodes.find((series: Json) => series.node === node)?.samples;

  it("shows every live node's chart series and their total, from either node", async () => {
    const [a, b] = nodes;
    // One more client on b: the nodes' series differ (a: 1 connection, b: 2 after the test above).
    const extra = await PacketClient.open(b.wsUrl('/ws?name=extra'));
    clients.push(extra);
    for (let i = 0; i < 5; i++) await extra.ask('echo');
    const here = {
      a: a.app.get(KwsServer).stats().connections,
      b: b.app.get(KwsServer).stats().connections,
    };
    expect(here.b).not.toBe(here.a);
    const tick = (sample: Json): number => Math.round(sample.at / 200);
    /** The latest tick both nodes have a sample of, and the total's entry for it. */
    const common = (seen: Json): { at: number; total?: Json } | undefined => {
      const [first, second] = seen.series?.nodes ?? [];
      const ticks = new Set((second?.samples ?? []).map(tick));
      const shared = (first?.samples ?? []).map(tick).filter((t: number) => ticks.has(t));
      if (shared.length === 0) return undefined;
      const at = Math.max(...shared) * 200;
      return { at, total: seen.series.total.find((sample: Json) => sample.at === at) };
    };
    for (const viewer of [a, b]) {
      // Both nodes' latest samples carry today's counts, and b's shows the acks of `echo`.
      const seen = await stateUntil(
        viewer,
        (s) =>
          seriesOf(s, nodeId(a))?.at(-1)?.connections === here.a &&
          seriesOf(s, nodeId(b))?.at(-1)?.connections === here.b &&
          seriesOf(s, nodeId(b))?.some((sample) => sample.acks > 0) === true &&
          common(s)?.total?.connections === here.a + here.b,
        10_000,
      );
      expect(seen.series.nodes.map((n: Json) => n.node)).toEqual([nodeId(a), nodeId(b)].sort());
      expect(seen.interval).toBe(200);
      // Nodes sample at the same multiples of the interval: the total adds them up per tick.
      const both = common(seen)!;
      expect(both.at % 200).toBe(0);
      expect(both.total).toMatchObject({ connections: here.a + here.b });
      expect(seen.series.total.every((sample: Json) => sample.at % 200 === 0)).toBe(true);
      // The viewer's own series is its ring in memory, as in `samples`.
      expect(seriesOf(seen, nodeId(viewer))).toEqual(seen.samples);
    }
  });

  it('a node cut from Redis (dead as the others see it): its series leaves every page', async () => {
    const [a, b] = nodes;
    const port = Number(new URL(redis.url).port);
    const proxy = await FaultProxy.start(port);
    const cluster = {
      redis: proxy.url,
      keyPrefix,
      heartbeatInterval: 100,
      nodeTtl: 600,
      requestTimeout: 500,
    };
    const doomed = await startApp(inspectedApp({ cluster }));
    const doomedId = nodeId(doomed);
    try {
      const listed = await stateUntil(a, (s) => (seriesOf(s, doomedId)?.length ?? 0) > 0, 10_000);
      expect(listed.series.nodes).toHaveLength(3);
      proxy.refuse(true);
      for (const connection of proxy.open()) connection.cut();
      const cutAt = Date.now();
      for (const viewer of [a, b]) {
        const gone = await stateUntil(
          viewer,
          (s) => s.series.nodes.every((n: Json) => n.node !== doomedId),
          10_000,
        );
        expect(gone.series.nodes.map((n: Json) => n.node)).toEqual([nodeId(a), nodeId(b)].sort());
      }
      // Its samples' list in Redis expires too (3 intervals, at least 2 s, after its last write).
      const admin = new Redis(redis.url);
      try {
        const key = `${keyPrefix}:insp:${doomedId}`;
        const deadline = Date.now() + 10_000;
        while ((await admin.exists(key)) === 1 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(await admin.exists(key)).toBe(0);
        expect(await admin.llen(`${keyPrefix}:insp:${nodeId(a)}`)).toBeGreaterThan(0);
      } finally {
        admin.disconnect();
      }
      // Within the node's liveness TTL (600 ms) or its samples' (2 s), plus slack for a loaded machine.
      expect(Date.now() - cutAt).toBeLessThan(2_000 + 5_000);
    } finally {
      await doomed.app.close();
      await proxy.stop();
    }
  });
});
