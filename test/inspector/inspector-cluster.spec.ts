import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsServer } from '../../src/index.js';
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

  beforeAll(async () => {
    redis = await testRedisUrl();
    const cluster = { redis: redis.url, keyPrefix: `kws-inspector-${randomUUID()}` };
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
});
