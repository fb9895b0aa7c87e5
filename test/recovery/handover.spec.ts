import { Injectable, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { KwsClient, type KwsSession, type KwsStateChange } from '../../src/client/index.js';
import {
  KwsEvent,
  KwsModule,
  KwsServer,
  OnKwsEvent,
  type KwsEventPayload,
  type KwsModuleOptions,
} from '../../src/index.js';
import { TestRedis } from '../helpers/redis-server.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { TcpBalancer } from '../helpers/tcp-balancer.js';
import { eventually } from '../helpers/ws-client.js';

/** Shared by the nodes of this process: runs of `slow`, disconnects and joins seen. */
const seen = { runs: 0, disconnects: 0, started: () => undefined as void };

@Injectable()
class HandoverListeners {
  @OnKwsEvent('slow')
  async slow(): Promise<string> {
    seen.runs++;
    seen.started();
    await new Promise((resolve) => setTimeout(resolve, 300));
    return 'slow done';
  }

  @OnKwsEvent('join')
  join({ kws, data }: KwsEventPayload<string>): void {
    kws.join(data);
  }

  @OnKwsEvent(KwsEvent.Disconnect)
  disconnect(): void {
    seen.disconnects++;
  }
}

function handoverApp(options: KwsModuleOptions) {
  @Module({
    imports: [KwsModule.forRoot({ path: '/ws', parser: 'json', ...options })],
    providers: [HandoverListeners],
  })
  class HandoverModule {}
  return HandoverModule;
}

describe('shutdown handover (cluster mode with recovery)', () => {
  let redis: TestRedis;
  const apps: RunningApp[] = [];
  let client: KwsClient | undefined;
  let balancer: TcpBalancer | undefined;

  beforeAll(async () => {
    redis = await TestRedis.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    client?.close();
    await balancer?.stop();
    for (const app of apps.splice(0)) await app.app.close().catch(() => undefined);
    client = balancer = undefined;
    Object.assign(seen, { runs: 0, disconnects: 0 });
  });

  async function node(keyPrefix: string, handover?: boolean): Promise<RunningApp> {
    const running = await startApp(
      handoverApp({
        cluster: { redis: redis.url, keyPrefix, heartbeatInterval: 200, nodeTtl: 2_000 },
        recovery: handover === undefined ? {} : { handover },
        shutdownTimeout: 2_000,
      }),
    );
    apps.push(running);
    const server = running.app.get(KwsServer);
    await eventually(
      () => server.stats().cluster?.registered,
      (ok) => ok === true,
      10_000,
    );
    return running;
  }

  it('lets a request in progress answer before the 1012, then resumes on the other node: same uuid and rooms, the listener ran once, no disconnect', async () => {
    const keyPrefix = `kws-handover-${randomUUID()}`;
    const first = await node(keyPrefix);
    const second = await node(keyPrefix);
    const ready = (app: RunningApp) => () => !app.app.get(KwsServer).draining;
    // The first node only, at first: the client lands there.
    balancer = await TcpBalancer.start([{ port: first.port, ready: ready(first) }]);
    const changes: KwsStateChange[] = [];
    const sessions: KwsSession[] = [];
    client = new KwsClient(`ws://127.0.0.1:${balancer.port}/ws`, {
      WebSocket,
      retries: 1,
      minDelay: 20,
      maxDelay: 100,
    });
    client.onState((change) => changes.push(change));
    client.onSession((session) => sessions.push(session));
    await eventually(
      () => sessions.length,
      (n) => n === 1,
    );
    await client.request('join', 'room-1');
    balancer.add({ port: second.port, ready: ready(second) });

    const started = new Promise<void>((resolve) => (seen.started = resolve));
    const reply = client.request('slow');
    await started;
    const closing = first.app.close(); // SIGTERM, as Kubernetes sends it
    apps.splice(apps.indexOf(first), 1);
    expect(await reply).toBe('slow done');
    await closing;

    await eventually(
      () => sessions.length,
      (n) => n === 2,
      10_000,
    );
    expect(sessions[1]).toEqual({ uuid: sessions[0].uuid, recovered: true });
    expect(changes.find((c) => c.state === 'reconnecting')).toMatchObject({
      code: 1012,
      reason: '{"retryAfter":0}',
    });
    const server = second.app.get(KwsServer);
    expect(server.get(sessions[0].uuid)?.rooms()).toEqual(['room-1']);
    expect(seen.runs).toBe(1);
    expect(seen.disconnects).toBe(0);
  });

  it('with handover: false a shutdown ends the sessions as before (1001, disconnect, a fresh session)', async () => {
    const keyPrefix = `kws-handover-${randomUUID()}`;
    const first = await node(keyPrefix, false);
    const second = await node(keyPrefix, false);
    balancer = await TcpBalancer.start([{ port: first.port, ready: () => true }]);
    const sessions: KwsSession[] = [];
    client = new KwsClient(`ws://127.0.0.1:${balancer.port}/ws`, {
      WebSocket,
      minDelay: 20,
      maxDelay: 100,
    });
    client.onSession((session) => sessions.push(session));
    await eventually(
      () => sessions.length,
      (n) => n === 1,
    );
    balancer.remove(first.port);
    balancer.add({ port: second.port, ready: () => true });
    await first.app.close();
    apps.splice(apps.indexOf(first), 1);
    await eventually(
      () => sessions.length,
      (n) => n === 2,
      10_000,
    );
    expect(sessions[1].recovered).toBe(false);
    expect(seen.disconnects).toBe(1);
  });
});
