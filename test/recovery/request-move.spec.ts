import { Injectable, Module } from '@nestjs/common';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KwsClient } from '../../src/client/index.js';
import {
  KwsModule,
  KwsServer,
  KwsState,
  OnKwsEvent,
  type KwsEventPayload,
} from '../../src/index.js';
import { REQUEST_OUTCOME_NOT_KEPT, REQUEST_OUTCOME_UNKNOWN } from '../../src/kws.messages.js';
import { REQUEST_OUTCOME_BYTES } from '../../src/recovery/request.outcomes.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { TestRedis } from '../helpers/redis-server.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { TcpBalancer } from '../helpers/tcp-balancer.js';
import { eventually } from '../helpers/ws-client.js';
import { openCuttable } from './cuttable-client.js';

/** Shared by the nodes of this process: the runs of `work` per input, and its gate. */
const seen = {
  runs: new Map<string, number>(),
  gate: Promise.resolve(),
  started: (_input: string) => undefined as void,
};

@Injectable()
class WorkListener {
  /** Runs once the gate opens; answers with the run count (`big`: a large answer). */
  @OnKwsEvent('work')
  async work({ data }: KwsEventPayload<string>): Promise<string> {
    const n = (seen.runs.get(data) ?? 0) + 1;
    seen.runs.set(data, n);
    seen.started(data);
    await seen.gate;
    return data === 'big' ? 'b'.repeat(REQUEST_OUTCOME_BYTES + 1) : `${data} run ${n}`;
  }
}

describe('a retried request runs once when its session resumes on another node (rid window in Redis)', () => {
  let redis: TestRedis;
  const apps: RunningApp[] = [];
  const clients: KwsClient[] = [];
  let proxy: FaultProxy | undefined;
  let balancer: TcpBalancer | undefined;
  let keyPrefix = '';

  beforeAll(async () => {
    redis = await TestRedis.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await proxy?.stop();
    await balancer?.stop();
    for (const app of apps.splice(0)) await app.app.close().catch(() => undefined);
    proxy = balancer = undefined;
    seen.runs.clear();
    seen.gate = Promise.resolve();
  });

  async function node(shutdownTimeout = 5_000): Promise<RunningApp> {
    @Module({
      imports: [
        KwsModule.forRoot({
          path: '/ws',
          parser: 'json',
          cluster: { redis: redis.url, keyPrefix, heartbeatInterval: 200, nodeTtl: 2_000 },
          recovery: { maxDisconnection: 20_000 },
          // A silent link is found by the server's heartbeat in under a second.
          pingInterval: 300,
          pongTimeout: 300,
          shutdownTimeout,
        }),
      ],
      providers: [WorkListener],
    })
    class RequestMoveModule {}
    const running = await startApp(RequestMoveModule);
    apps.push(running);
    const server = running.app.get(KwsServer);
    await eventually(
      () => server.stats().cluster?.registered,
      (ok) => ok === true,
      10_000,
    );
    return running;
  }

  /** A gate the test opens, and a promise of each run's start. */
  function gate(): { release: () => void; started: (input: string) => Promise<void> } {
    let release!: () => void;
    seen.gate = new Promise<void>((resolve) => (release = resolve));
    const waiting = new Map<string, () => void>();
    seen.started = (input) => waiting.get(input)?.();
    return {
      release,
      started: (input) => new Promise<void>((resolve) => waiting.set(input, resolve)),
    };
  }

  it('answers with the first answer when the link went silent after the run, and the client resumed on the other node', async () => {
    keyPrefix = `kws-ridmove-${randomUUID()}`;
    const first = await node();
    const second = await node();
    proxy = await FaultProxy.start(first.port);
    const { client, cuttable, sessions } = await openCuttable(
      `ws://127.0.0.1:${proxy.port}/ws`,
      clients,
      {
        retries: 2,
        ackTimeout: 20_000,
        livenessTimeout: 600,
      },
    );
    const { release, started } = gate();
    const ran = Promise.all([started('x'), started('big')]);
    const small = client.request('work', 'x');
    const big = client.request('work', 'big');
    await ran; // the first node runs both...
    proxy.open()[0].blackhole(); // ...their answers are lost with the link
    cuttable.port = second.port; // and the reconnect lands on the other node
    release();

    expect(await small).toBe('x run 1');
    // An answer over REQUEST_OUTCOME_BYTES does not travel: a 409, not a second run.
    await expect(big).rejects.toMatchObject({ status: 409, message: REQUEST_OUTCOME_NOT_KEPT });
    expect(sessions.at(-1)).toEqual({ uuid: sessions[0].uuid, recovered: true });
    expect(second.app.get(KwsServer).get(sessions[0].uuid)).toBeDefined();
    expect(seen.runs.get('x')).toBe(1);
    expect(seen.runs.get('big')).toBe(1);
    // A new request on the other node runs as usual.
    expect(await client.request('work', 'y')).toBe('y run 1');
  });

  it('waits for a run still in progress on the old node when the session moved, and answers with its outcome', async () => {
    keyPrefix = `kws-ridmove-${randomUUID()}`;
    const first = await node();
    const second = await node();
    const { client, cuttable, sessions } = await openCuttable(
      `ws://127.0.0.1:${first.port}/ws`,
      clients,
      {
        retries: 2,
        ackTimeout: 20_000,
      },
    );
    const { release, started } = gate();
    const running = started('x');
    const reply = client.request('work', 'x');
    await running;
    cuttable.port = second.port;
    cuttable.cut(); // the old node suspends the session while its run goes on
    await eventually(
      () => sessions.length,
      (n) => n === 2,
      10_000,
    );
    expect(sessions[1]).toEqual({ uuid: sessions[0].uuid, recovered: true });
    release(); // the old node's run ends now: its answer reaches the other node through Redis

    expect(await reply).toBe('x run 1');
    expect(seen.runs.get('x')).toBe(1);
  });

  it('answers with the outcome of a run that ended after the drop and before the take (read from the log by the take)', async () => {
    keyPrefix = `kws-ridmove-${randomUUID()}`;
    const first = await node();
    const second = await node();
    const { client, cuttable, sessions } = await openCuttable(
      `ws://127.0.0.1:${first.port}/ws`,
      clients,
      { retries: 2, ackTimeout: 20_000 },
    );
    const { release, started } = gate();
    const running = started('x');
    const reply = client.request('work', 'x');
    await running;
    // Nowhere to reconnect for now: a balancer with no backend refuses every connection.
    balancer = await TcpBalancer.start([]);
    cuttable.port = balancer.port;
    cuttable.cut();
    const held = first.app.get(KwsServer).get(sessions[0].uuid)!;
    await eventually(
      () => held.state,
      (state) => state === KwsState.Suspended,
    );
    release(); // the run ends while the session waits in Redis: its answer goes to the log
    const admin = new Redis(redis.url);
    const logged = async () =>
      (await admin.xrange(`${keyPrefix}:rs:log`, '-', '+')).some(([, fields]) => fields[1] === 'q');
    try {
      for (const deadline = Date.now() + 10_000; !(await logged());) {
        if (Date.now() > deadline) throw new Error('the answer never reached the log');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      admin.disconnect();
    }
    cuttable.port = second.port;

    expect(await reply).toBe('x run 1');
    expect(sessions.at(-1)).toEqual({ uuid: sessions[0].uuid, recovered: true });
    expect(second.app.get(KwsServer).get(sessions[0].uuid)).toBeDefined();
    expect(seen.runs.get('x')).toBe(1);
  });

  it('answers 409 (outcome unknown) when the old node shut down before its run ended: the listener does not run twice', async () => {
    keyPrefix = `kws-ridmove-${randomUUID()}`;
    const first = await node(300); // the run outlives the shutdown's flush
    const second = await node();
    const ready = (app: RunningApp) => () => !app.app.get(KwsServer).draining;
    balancer = await TcpBalancer.start([{ port: first.port, ready: ready(first) }]);
    const { client, sessions } = await openCuttable(`ws://127.0.0.1:${balancer.port}/ws`, clients, {
      retries: 2,
      ackTimeout: 20_000,
    });
    balancer.add({ port: second.port, ready: ready(second) });
    const { release, started } = gate();
    const running = started('x');
    const reply = client.request('work', 'x');
    await running;
    apps.splice(apps.indexOf(first), 1);
    await first.app.close(); // handover: the session waits in Redis, its run still going

    await expect(reply).rejects.toMatchObject({ status: 409, message: REQUEST_OUTCOME_UNKNOWN });
    expect(sessions.at(-1)).toEqual({ uuid: sessions[0].uuid, recovered: true });
    expect(seen.runs.get('x')).toBe(1);
    release();
  });
});
