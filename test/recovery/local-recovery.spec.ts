import { afterEach, describe, expect, it } from 'vitest';
import type { KwsClient } from '../../src/client/index.js';
import { KwsDisconnectError, KwsEvent, KwsServer, type KwsModuleOptions } from '../../src/index.js';
import { waitForState } from '../../src/testing/index.js';
import { EventLog } from '../apps/event-log.js';
import { recoveryApp, UpgradeLog } from '../apps/recovery.app.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';
import { openCuttable } from './cuttable-client.js';

interface Who {
  uuid: string;
  attributes: Record<string, unknown>;
  rooms: string[];
}

describe('connection-state recovery on one node, with the shipped client', () => {
  let running: RunningApp | undefined;
  const clients: KwsClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await running?.app.close();
    running = undefined;
  });

  async function start(options: KwsModuleOptions = {}): Promise<RunningApp> {
    running = await startApp(recoveryApp(options));
    return running;
  }

  /** A shipped client whose TCP connection the test can cut; resolves once its session arrived. */
  async function open(options: { maxAttempts?: number } = {}) {
    return openCuttable(running!.wsUrl('/ws'), clients, options);
  }

  const log = () => running!.app.get(EventLog);
  const server = () => running!.app.get(KwsServer);

  it('a TCP drop mid-stream loses nothing: every message once and in order, same uuid, attributes and rooms, a resume and no connect/disconnect', async () => {
    await start();
    const a = await open();
    const b = await open();
    await a.client.request('join', 'room-1');
    await a.client.request('set', { key: 'name', value: 'ann' });
    await b.client.request('join', 'room-1');
    const before = (await a.client.request('whoami', undefined)) as Who;

    // The server alternates a direct emit and a room broadcast, as fast as the loop allows.
    let sent = 0;
    let stopped = false;
    const emitter = (async () => {
      while (!stopped) {
        const n = ++sent;
        if (n % 2) await server().emitTo(before.uuid, { event: 'tick', data: n });
        else await server().broadcastTo('room-1', { event: 'tick', data: n });
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();

    await eventually(
      () => a.ticks.length,
      (n) => n >= 20,
    );
    a.cuttable.cut();
    const cutAt = sent;
    await waitForState(a.client, 'reconnecting');
    await eventually(
      () => a.sessions.length,
      (n) => n === 2,
    );
    const resumedAt = sent;
    // Messages went out while the client was away (the resume has something to replay).
    expect(resumedAt).toBeGreaterThan(cutAt);
    await eventually(
      () => a.ticks.length,
      (n) => n >= resumedAt + 20,
    );
    stopped = true;
    await emitter;

    const all = Array.from({ length: sent }, (_, i) => i + 1);
    expect(
      await eventually(
        () => a.ticks,
        (got) => got.length >= sent,
      ),
    ).toEqual(all);
    expect(
      await eventually(
        () => b.ticks,
        (got) => got.length >= sent / 2 - 1,
      ),
    ).toEqual(all.filter((n) => n % 2 === 0));
    expect(a.sessions[1]).toEqual({ uuid: before.uuid, recovered: true });
    expect(a.client.recovered).toBe(true);
    expect(a.cuttable.sockets).toHaveLength(2);

    const after = (await a.client.request('whoami', undefined)) as Who;
    expect(after).toEqual(before);
    expect(after.attributes).toMatchObject({ name: 'ann', seeded: 'by allowUpgrade' });
    expect(after.rooms).toEqual(['room-1']);
    expect(log().of(before.uuid, KwsEvent.Connect)).toHaveLength(1);
    expect(log().of(before.uuid, KwsEvent.Disconnect)).toHaveLength(0);
    expect(log().of(before.uuid, KwsEvent.Resume)).toHaveLength(1);
    // allowUpgrade ran on the resume, was told which session it resumes, and the token and the
    // last offset travelled as subprotocols, not in the URL.
    const upgrades = running!.app.get(UpgradeLog);
    expect(upgrades.infos.at(-1)).toEqual({ resume: { uuid: before.uuid } });
    expect(upgrades.infos[0]).toEqual({});
    expect(upgrades.urls.at(-1)).not.toMatch(/kws_resume|kws_offset/);
    expect(upgrades.protocols.at(-1)).toMatch(/^kws, ?kws-resume\.[\w-]{32}, ?kws-offset\.\S+$/);
  });

  it('a session not resumed within maxDisconnection ends with exactly one disconnect (kind expired); its token is then refused', async () => {
    await start({ recovery: { maxDisconnection: 150 } });
    const a = await open({ maxAttempts: 0 });
    const { uuid } = a.sessions[0];
    const kws = server().get(uuid)!;
    a.cuttable.cut();
    await eventually(
      () => kws.isAlive(),
      (alive) => !alive,
    );
    // Suspended: still a connection of this node, no disconnect yet.
    expect(server().get(uuid)).toBe(kws);
    expect(log().of(uuid, KwsEvent.Disconnect)).toHaveLength(0);
    const droppedAt = Date.now();

    const disconnects = await eventually(
      () => log().of(uuid, KwsEvent.Disconnect),
      (events) => events.length > 0,
    );
    expect(Date.now() - droppedAt).toBeGreaterThanOrEqual(100);
    expect(disconnects).toHaveLength(1);
    expect(disconnects[0].error).toBeInstanceOf(KwsDisconnectError);
    expect(disconnects[0].error).toMatchObject({ kind: 'expired', code: 1006 });
    expect(server().get(uuid)).toBeUndefined();

    // The client comes back too late: a fresh session.
    const late = await open();
    expect(late.sessions[0].uuid).not.toBe(uuid);
    expect(log().of(uuid, KwsEvent.Disconnect)).toHaveLength(1);
  });
});
