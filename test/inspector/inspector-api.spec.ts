import { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import { of } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { KwsModule, KwsPresence, KwsServer, type KwsModuleOptions } from '../../src/index.js';
import { ChannelPackets } from '../helpers/channel-packets.js';
import { PacketClient } from '../helpers/packet-client.js';
import { startApp, type Platform, type RunningApp } from '../helpers/start-app.js';
import { ADMIN_TOKEN, AdminHttpGuard, inspectedApp } from './inspector.app.js';

type Json = Record<string, any>;
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };
const ACTION = { ...ADMIN, 'content-type': 'application/json', 'x-kws-inspector': '1' };

async function call(
  running: RunningApp,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; type: string; body: Json; text: string; headers: Headers }> {
  const response = await fetch(running.httpUrl(path), init);
  const text = await response.text();
  let body: Json = {};
  try {
    body = JSON.parse(text) as Json;
  } catch {
    // the page
  }
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, type, body, text, headers: response.headers };
}

async function until<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5_000;
  let value = await read();
  while (!check(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

describe.each<Platform>(['express', 'fastify'])('the inspector on %s', (platform) => {
  let running: RunningApp;
  const clients: PacketClient[] = [];
  const open = async (name: string): Promise<PacketClient> => {
    const client = await PacketClient.open(running.wsUrl(`/ws?name=${name}`));
    clients.push(client);
    return client;
  };
  const uuidOf = async (name: string): Promise<string> => {
    const server = running.app.get(KwsServer);
    for (const kws of server.connections()) if (kws.getAttribute('name') === name) return kws.uuid;
    throw new Error(`no connection named ${name}`);
  };

  beforeAll(async () => {
    running = await startApp(inspectedApp(), platform);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(() => running.app.close());

  it("refuses every route without the app's guard: 401 when it throws so, 403 when it says no", async () => {
    const routes: [string, RequestInit][] = [
      ['/kws/inspect', {}],
      ['/kws/inspect/api/state', {}],
      ['/kws/inspect/api/connection?uuid=x', {}],
      ['/kws/inspect/api/close', { method: 'POST', body: '{"uuid":"x"}' }],
      ['/kws/inspect/api/leave', { method: 'POST', body: '{"uuid":"x","room":"a"}' }],
    ];
    for (const [path, init] of routes) {
      const none = await call(running, path, {
        ...init,
        headers: { 'content-type': 'application/json', 'x-kws-inspector': '1' },
      });
      expect(none.status, path).toBe(401);
      const wrong = await call(running, path, {
        ...init,
        headers: { ...ACTION, authorization: 'Bearer nope' },
      });
      expect(wrong.status, path).toBe(403);
      expect(wrong.text).not.toMatch(/kws-inspector|connections/i);
    }
  });

  it('serves one self-contained page: inline script and SVG, a strict CSP, nothing from elsewhere', async () => {
    const page = await call(running, '/kws/inspect', { headers: ADMIN });
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.text).toContain('"/kws/inspect"');
    expect(page.text).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
  });

  it('answers connections, rooms and their sizes, counters and chart samples as JSON', async () => {
    const ann = await open('ann');
    const bob = await open('bob');
    await ann.ask('join', 'lobby');
    await bob.ask('join', 'lobby');
    await bob.ask('join', 'ops');
    for (let i = 0; i < 5; i++) await ann.ask('echo');
    const state = await until(
      () => call(running, '/kws/inspect/api/state', { headers: ADMIN }),
      ({ body }) => body.samples?.some((sample: Json) => sample.acks > 0) === true,
    );
    expect(state.status).toBe(200);
    expect(state.type).toMatch(/^application\/json/);
    expect(state.headers.get('cache-control')).toBe('no-store');
    const { body } = state;
    expect(body.connections).toEqual({ here: 2, total: 2 });
    expect(body.nodes).toBe(1);
    expect(body.perNode).toBeNull();
    expect(body.rooms).toEqual({
      count: 2,
      shown: [
        { name: 'lobby', size: 2 },
        { name: 'ops', size: 1 },
      ],
    });
    expect(body.local.map((c: Json) => c.uuid).sort()).toEqual(
      [await uuidOf('ann'), await uuidOf('bob')].sort(),
    );
    expect(body.stats.messages.in).toBeGreaterThanOrEqual(8);
    const acked = body.samples.filter((sample: Json) => sample.acks > 0);
    expect(acked.reduce((sum: number, sample: Json) => sum + sample.acks, 0)).toBeGreaterThan(0);
    for (const sample of acked) {
      expect(sample.ackMaxMs).toBeGreaterThanOrEqual(sample.ackMeanMs);
      expect(sample.ackMeanMs).toBeGreaterThanOrEqual(0);
    }
    expect(body.samples.at(-1)).toMatchObject({ connections: 2 });
  });

  it("shows a connection's rooms and attributes by uuid; 404 for an unknown one, 400 without", async () => {
    const ann = await open('ann');
    await ann.ask('join', 'lobby');
    const uuid = await uuidOf('ann');
    const found = await call(running, `/kws/inspect/api/connection?uuid=${uuid}`, {
      headers: ADMIN,
    });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({
      uuid,
      state: 'connected',
      rooms: ['lobby'],
      attributes: { name: '"ann"', profile: '{"plan":"pro","since":2024}' },
    });
    const unknown = await call(running, '/kws/inspect/api/connection?uuid=nobody', {
      headers: ADMIN,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('nobody');
    expect((await call(running, '/kws/inspect/api/connection', { headers: ADMIN })).status).toBe(
      400,
    );
  });

  it('closes a connection and makes one leave a room through POST actions', async () => {
    const ann = await open('ann');
    const bob = await open('bob');
    await bob.ask('join', 'lobby');
    await bob.ask('join', 'ops');
    const bobUuid = await uuidOf('bob');
    const left = await call(running, '/kws/inspect/api/leave', {
      method: 'POST',
      headers: ACTION,
      body: JSON.stringify({ uuid: bobUuid, room: 'lobby' }),
    });
    expect([left.status, left.body]).toEqual([200, { ok: true }]);
    expect(running.app.get(KwsServer).get(bobUuid)?.rooms()).toEqual(['ops']);

    const closed = await call(running, '/kws/inspect/api/close', {
      method: 'POST',
      headers: ACTION,
      body: JSON.stringify({ uuid: await uuidOf('ann') }),
    });
    expect([closed.status, closed.body]).toEqual([200, { ok: true }]);
    expect(await ann.raw.closed).toEqual({ code: 1000, reason: 'Closed by the inspector' });

    const gone = await call(running, '/kws/inspect/api/close', {
      method: 'POST',
      headers: ACTION,
      body: JSON.stringify({ uuid: 'nobody' }),
    });
    expect(gone.status).toBe(404);
    const badRoom = await call(running, '/kws/inspect/api/leave', {
      method: 'POST',
      headers: ACTION,
      body: JSON.stringify({ uuid: bobUuid, room: '' }),
    });
    expect(badRoom.status).toBe(400);
    const notObject = await call(running, '/kws/inspect/api/close', {
      method: 'POST',
      headers: ACTION,
      body: '"x"',
    });
    expect(notObject.status).toBe(400);
  });

  it('refuses actions a cross-site form could send: without the custom header, or not JSON', async () => {
    const ann = await open('ann');
    const uuid = await uuidOf('ann');
    const attempts: Record<string, string>[] = [
      { ...ADMIN, 'content-type': 'application/json' },
      { ...ADMIN, 'content-type': 'application/x-www-form-urlencoded', 'x-kws-inspector': '1' },
      { ...ADMIN, 'content-type': 'text/plain', 'x-kws-inspector': '1' },
      { ...ADMIN, 'content-type': 'application/json', 'x-kws-inspector': 'yes' },
    ];
    for (const headers of attempts) {
      const body = headers['content-type'].startsWith('application/json')
        ? JSON.stringify({ uuid })
        : `uuid=${uuid}`;
      const refused = await call(running, '/kws/inspect/api/close', {
        method: 'POST',
        headers,
        body,
      });
      expect(refused.status, JSON.stringify(headers)).toBe(403);
      expect(refused.body.message).toMatch(/X-Kws-Inspector/);
    }
    expect(running.app.get(KwsServer).get(uuid)?.isAlive()).toBe(true);
    expect(await ann.ask('echo')).toMatchObject({ data: 'pong' });
  });

  it('leaves the rest of the HTTP server alone', async () => {
    expect((await call(running, '/kws/other', { headers: ADMIN })).status).toBe(404);
  });
});

describe('inspector guards of every kind', () => {
  it('takes a guard instance and a guard function, each given the HTTP request', async () => {
    const seen: string[] = [];
    for (const guard of [
      { canActivate: () => (seen.push('instance'), true) },
      (context: { getType(): string }) => (seen.push(`function:${context.getType()}`), true),
    ]) {
      const running = await startApp(
        inspectedApp({ inspector: { guard, path: '/admin/kws' } }),
        'fastify',
      );
      try {
        const state = await call(running, '/admin/kws/api/state');
        expect(state.status).toBe(200);
        expect(state.body.connections).toEqual({ here: 0, total: 0 });
      } finally {
        await running.app.close();
      }
    }
    expect(seen).toEqual(expect.arrayContaining(['instance', 'function:http']));
  });

  it('an Observable false is 403; a guard that throws a plain error is 500, logged, nothing shown', async () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => {});
    for (const [guard, status] of [
      [() => of(false), 403],
      [
        () => {
          throw new Error('session store down');
        },
        500,
      ],
    ] as const) {
      const running = await startApp(inspectedApp({ inspector: { guard } }));
      try {
        const state = await call(running, '/kws/inspect/api/state');
        expect(state.status).toBe(status);
        expect(state.text).not.toContain('connections');
      } finally {
        await running.app.close();
      }
    }
    expect(logged).toHaveBeenCalledWith(
      'The inspector guard threw a non-HTTP error.',
      expect.stringContaining('session store down'),
    );
    logged.mockRestore();
  });

  it('a guard class gets its dependencies from the app (taken from the container)', async () => {
    const running = await startApp(inspectedApp({ inspector: { guard: AdminHttpGuard } }));
    try {
      expect((await call(running, '/kws/inspect/api/state', { headers: ADMIN })).status).toBe(200);
    } finally {
      await running.app.close();
    }
  });
});

describe('the inspector option is checked at bootstrap', () => {
  afterEach(() => vi.restoreAllMocks());

  async function bootError(options: Record<string, unknown>): Promise<string> {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => {});
    try {
      const running = await startApp(inspectedApp(options as Partial<KwsModuleOptions>), 'express');
      await running.app.close();
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  }

  it('refuses to start without a guard (secure by default), or with a bad one', async () => {
    expect(await bootError({ inspector: {} })).toContain('"inspector.guard" is required');
    expect(await bootError({ inspector: { guard: 'admin' } })).toContain(
      '"inspector.guard" is required',
    );
    expect(await bootError({ inspector: true })).toContain('option "inspector" must be');
  });

  it('names a bad path, a bad interval, a misspelt key, and metrics: false', async () => {
    const guard = AdminHttpGuard;
    expect(await bootError({ inspector: { guard, path: 'kws' } })).toContain('"inspector.path"');
    expect(await bootError({ inspector: { guard, path: '/kws/' } })).toContain('"inspector.path"');
    expect(await bootError({ inspector: { guard, sampleInterval: 5 } })).toContain(
      '"inspector.sampleInterval"',
    );
    expect(await bootError({ inspector: { guard, pth: '/x' } })).toContain(
      'option "inspector.pth" is unknown (did you mean "path"?)',
    );
    expect(await bootError({ inspector: { guard }, metrics: false })).toContain('metrics: false');
  });

  it('two endpoints cannot serve their inspectors on one path', async () => {
    const second = KwsModule.forRoot({
      name: 'admin',
      path: '/admin',
      inspector: { guard: AdminHttpGuard },
    });
    const app = inspectedApp();
    app.imports = [second];
    expect(await bootError({})).toBe('');
    let message = '';
    try {
      const running = await startApp(app);
      await running.app.close();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('"inspector.path": /kws/inspect is already served');
  });
});

describe('the inspector of an endpoint with channels', () => {
  let running: RunningApp;
  const clients: ChannelPackets[] = [];
  const HOSTILE = '<img src=x onerror="globalThis.pwned=1">';

  beforeAll(async () => {
    running = await startApp(inspectedApp({}, { channels: true }));
  });
  afterAll(async () => {
    for (const client of clients) client.raw.close();
    await running.app.close();
  });

  const joined = async (
    name: string,
    channel: string,
    params: unknown,
  ): Promise<ChannelPackets> => {
    const client = await ChannelPackets.open(running.wsUrl(`/ws?name=${name}`));
    clients.push(client);
    const ack = await client.join(channel, params);
    expect(ack.error).toBeUndefined();
    return client;
  };

  it("lists channels apart from rooms, with members, presence keys and history; a channel's presence as data", async () => {
    const ann = await joined('ann', 'room:lobby', { user: 'ann', meta: { status: HOSTILE } });
    await ann.join('plain:news');
    await joined('bob', 'room:lobby', { user: 'bob', meta: { status: 'away' } });
    // A second tab of ann's: two metas under one key.
    await joined('ann2', 'room:lobby', { user: 'ann', meta: { status: 'tab 2' } });
    for (const text of ['one', 'two', 'three']) {
      expect(await ann.ask({ event: 'post', data: { channel: 'room:lobby', text } })).toMatchObject(
        { data: 'posted' },
      );
    }
    const state = await until(
      () => call(running, '/kws/inspect/api/state', { headers: ADMIN }),
      ({ body }) => body.channels?.shown?.[1]?.presence === 2,
    );
    expect(state.body.channels).toEqual({
      count: 2,
      shown: [
        { name: 'plain:news', members: 1, presence: 0, history: null },
        { name: 'room:lobby', members: 3, presence: 2, history: 3 },
      ],
    });
    // The channels' rooms (`ch:…`) are not listed among the app's rooms.
    expect(state.body.rooms).toEqual({ count: 0, shown: [] });

    const lobby = await call(running, '/kws/inspect/api/channel?name=room%3Alobby', {
      headers: ADMIN,
    });
    expect(lobby.status).toBe(200);
    expect(lobby.type).toMatch(/^application\/json/);
    const { presence, ...figures } = lobby.body;
    expect(figures).toEqual({ name: 'room:lobby', members: 3, history: 3 });
    expect(presence.keys).toBe(2);
    expect(
      presence.shown.map((k: Json) => [k.key, k.metas.map((m: Json) => m.status), k.more]),
    ).toEqual([
      ['ann', [HOSTILE, 'tab 2'], 0],
      ['bob', ['away'], 0],
    ]);
    // The meta goes out as JSON data (escaped by JSON only), never inside HTML.
    expect(lobby.text).toContain(JSON.stringify(HOSTILE).slice(1, -1));

    // The lookup names the channels a connection joined, apart from its rooms.
    const uuid = [...running.app.get(KwsServer).connections()].find(
      (kws) => kws.getAttribute('name') === 'ann',
    )!.uuid;
    const found = await call(running, `/kws/inspect/api/connection?uuid=${uuid}`, {
      headers: ADMIN,
    });
    expect(found.body.rooms).toEqual([]);
    expect(found.body.channels.sort()).toEqual(['plain:news', 'room:lobby']);

    expect((await call(running, '/kws/inspect/api/channel', { headers: ADMIN })).status).toBe(400);
    expect((await call(running, '/kws/inspect/api/channel?name=x')).status).toBe(401);
  });

  it('bounds the presence it answers: the first 50 keys in join order, and the count of all', async () => {
    const server = running.app.get(KwsServer);
    const presence = running.app.get(KwsPresence);
    const client = await joined('crowd', 'room:crowd', { user: 'first' });
    const kws = [...server.connections()].find((k) => k.rooms().includes('ch:room:crowd'))!;
    for (let i = 0; i < 60; i++) presence.track(kws, 'room:crowd', `user-${i}`, { i });
    const crowd = await until(
      () => call(running, '/kws/inspect/api/channel?name=room%3Acrowd', { headers: ADMIN }),
      ({ body }) => body.presence?.keys === 61,
    );
    expect(crowd.body.presence.keys).toBe(61);
    expect(crowd.body.presence.shown).toHaveLength(50);
    expect(crowd.body.presence.shown[0].key).toBe('first');
    client.raw.close();
  });
});

describe('the inspector of an endpoint without channels', () => {
  it('answers no channel card (null), so the page shows none', async () => {
    const running = await startApp(inspectedApp());
    try {
      const state = await call(running, '/kws/inspect/api/state', { headers: ADMIN });
      expect(state.status).toBe(200);
      expect(state.body.channels).toBeNull();
    } finally {
      await running.app.close();
    }
  });
});

describe('the inspector with Prometheus export on too', () => {
  it('both get every ack latency, and listener runs are still timed for Prometheus', async () => {
    const registry = new Registry();
    const running = await startApp(inspectedApp({ metrics: { prometheus: { registry } } }));
    const client = await PacketClient.open(running.wsUrl('/ws?name=ann'));
    try {
      for (let i = 0; i < 3; i++) await client.ask('echo');
      const state = await until(
        () => call(running, '/kws/inspect/api/state', { headers: ADMIN }),
        ({ body }) =>
          body.samples?.reduce((sum: number, sample: Json) => sum + sample.acks, 0) === 3,
      );
      expect(state.body.samples.reduce((sum: number, s: Json) => sum + s.acks, 0)).toBe(3);
      const text = await registry.metrics();
      expect(text).toContain('kws_ack_latency_seconds_count{endpoint="",event="echo"} 3');
      expect(text).toContain('kws_listener_duration_seconds_count{endpoint="",event="echo"} 3');
    } finally {
      await client.close();
      await running.app.close();
    }
  });
});
