import { Injectable, Module } from '@nestjs/common';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  KwsClient,
  type KwsClientOptions,
  type KwsSession,
  type KwsStateChange,
} from '../../src/client/index.js';
import {
  KwsEvent,
  KwsModule,
  KwsServer,
  OnKwsEvent,
  type KwsEventPayload,
} from '../../src/index.js';
import { waitForState } from '../../src/testing/index.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { waitUntil } from './protocol-server.js';

/** What the server saw: disconnects, and how many times `work` ran per input. */
@Injectable()
class Seen {
  readonly disconnects: string[] = [];
  readonly runs = new Map<string, number>();
  /** `work` waits on this before it answers (a test opens it once the link is dead). */
  gate: Promise<void> = Promise.resolve();
  started: () => void = () => undefined;
}

@Injectable()
class Listeners {
  constructor(private readonly seen: Seen) {}

  @OnKwsEvent(KwsEvent.Disconnect)
  disconnect({ kws }: KwsEventPayload): void {
    this.seen.disconnects.push(kws.uuid);
  }

  @OnKwsEvent('work')
  async work({ data }: KwsEventPayload<string>): Promise<string> {
    this.seen.runs.set(data, (this.seen.runs.get(data) ?? 0) + 1);
    this.seen.started();
    await this.seen.gate;
    return `done ${data}`;
  }
}

/**
 * The server's own heartbeat is slow here (pingInterval 60 s): only the client's liveness can
 * notice a dead path within the test, as a browser client (which cannot see pings) must.
 */
@Module({
  imports: [
    KwsModule.forRoot({
      path: '/ws',
      parser: 'json',
      recovery: { maxDisconnection: 20_000 },
      pingInterval: 60_000,
      pongTimeout: 60_000,
    }),
  ],
  providers: [Seen, Listeners],
})
class LivenessAppModule {}

describe('KwsClient liveness: a silent dead path, not a clean close (fault proxy)', () => {
  let running: RunningApp | undefined;
  let proxy: FaultProxy | undefined;
  let client: KwsClient | undefined;

  afterEach(async () => {
    client?.close();
    await proxy?.stop();
    await running?.app.close();
    client = proxy = running = undefined;
  });

  async function start(livenessTimeout: number, options: KwsClientOptions = {}) {
    running = await startApp(LivenessAppModule);
    proxy = await FaultProxy.start(running.port);
    const changes: KwsStateChange[] = [];
    const sessions: KwsSession[] = [];
    const news: number[] = [];
    client = new KwsClient(`ws://127.0.0.1:${proxy.port}/ws`, {
      WebSocket,
      livenessTimeout,
      minDelay: 10,
      maxDelay: 50,
      ...options,
    });
    client.onState((change) => changes.push(change));
    client.onSession((session) => sessions.push(session));
    client.on('news', (n: number) => void news.push(n));
    await waitUntil(() => sessions.length === 1, 'the session');
    return { changes, sessions, news, seen: running.app.get(Seen) };
  }

  it('notices a black-holed link within livenessTimeout, reconnects and resumes with nothing lost', async () => {
    const livenessTimeout = 600;
    const { changes, sessions, news, seen } = await start(livenessTimeout);
    const server = running!.app.get(KwsServer);
    await server.broadcast({ event: 'news', data: 1 });
    await waitUntil(() => news.length === 1, 'news 1');

    const [link] = proxy!.open();
    link.blackhole();
    const cutAt = performance.now();
    await server.broadcast({ event: 'news', data: 2 }); // lost on the wire, kept by the session
    const noticed = await waitForState(client!, 'reconnecting', 5_000);
    const noticedAfter = performance.now() - cutAt;
    expect(noticed).toMatchObject({ code: 4000, reason: 'liveness timeout' });
    // The bound: livenessTimeout after the last frame heard (plus a timer's slack).
    expect(noticedAfter).toBeLessThanOrEqual(livenessTimeout + 100);

    await waitUntil(() => sessions.length === 2, 'the resumed session', 10_000);
    expect(sessions[1]).toEqual({ uuid: sessions[0].uuid, recovered: true });
    await server.broadcast({ event: 'news', data: 3 });
    await waitUntil(() => news.length === 3, 'news 2 and 3');
    expect(news).toEqual([1, 2, 3]);
    expect(seen.disconnects).toEqual([]);
    expect(changes.map((c) => c.state)).toEqual(['open', 'reconnecting', 'open']);
  });

  it('keeps an idle but healthy link open past livenessTimeout: its heartbeats are answered, no listener runs', async () => {
    const { changes, seen } = await start(300);
    const server = running!.app.get(KwsServer);
    // No traffic for 4 timeouts: only the probes (and their acks) cross the link.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(client!.state).toBe('open');
    expect(changes.map((c) => c.state)).toEqual(['open']);
    expect(server.stats().connections).toBe(1);
    expect(seen.runs.size).toBe(0);
  });

  it('with livenessTimeout 0 trusts the socket (the old behaviour): a black hole goes unnoticed', async () => {
    const { seen } = await start(0);
    const [link] = proxy!.open();
    link.blackhole();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(client!.state).toBe('open');
    expect(seen.disconnects).toEqual([]);
  });

  it("suspends the session (no disconnect) when a browser's 4000 'liveness timeout' close does reach the server", async () => {
    running = await startApp(LivenessAppModule);
    const seen = running.app.get(Seen);
    const first = new WebSocket(running.wsUrl('/ws'));
    const [raw] = (await once(first, 'message')) as [Buffer];
    const { session } = JSON.parse(raw.toString());
    first.close(4000, 'liveness timeout');
    await once(first, 'close');
    const second = new WebSocket(running.wsUrl('/ws'), [
      'kws',
      `kws-resume.${session.token}`,
      'kws-offset.',
    ]);
    const [again] = (await once(second, 'message')) as [Buffer];
    expect(JSON.parse(again.toString()).session).toMatchObject({
      uuid: session.uuid,
      recovered: true,
    });
    expect(seen.disconnects).toEqual([]);
    second.close();
    // A clean close is a goodbye: the session ends.
    await once(second, 'close');
    await waitUntil(() => seen.disconnects.length === 1, 'the disconnect');
  });

  it('retries a request in flight when the link died: it resolves once, its listener ran once (rid)', async () => {
    const { sessions, seen } = await start(600, { retries: 2, ackTimeout: 20_000 });
    let release!: () => void;
    seen.gate = new Promise<void>((resolve) => (release = resolve));
    const started = new Promise<void>((resolve) => (seen.started = resolve));
    const reply = client!.request('work', 'x');
    await started; // the server runs it...
    const [link] = proxy!.open();
    link.blackhole(); // ...and its answer is lost with the link
    release();

    expect(await reply).toBe('done x');
    expect(sessions.at(-1)).toEqual({ uuid: sessions[0].uuid, recovered: true });
    expect(seen.runs.get('x')).toBe(1);
    expect(seen.disconnects).toEqual([]);
    // A new request on the resumed link runs as usual.
    seen.gate = Promise.resolve();
    expect(await client!.request('work', 'y')).toBe('done y');
    expect(seen.runs.get('y')).toBe(1);
  });

  it('retries a request whose try timed out on a live link: the server joins the running one', async () => {
    const { seen } = await start(0, { retries: 3, ackTimeout: 150 });
    let release!: () => void;
    seen.gate = new Promise<void>((resolve) => (release = resolve));
    const started = new Promise<void>((resolve) => (seen.started = resolve));
    const reply = client!.request('work', 'slow');
    await started;
    // Two tries time out while the first run is still going: both are sent again.
    await new Promise((resolve) => setTimeout(resolve, 400));
    release();
    expect(await reply).toBe('done slow');
    expect(seen.runs.get('slow')).toBe(1);
  });

  it('without retries a request in flight on a dead link rejects (the server may have run it)', async () => {
    const { seen } = await start(600);
    let release!: () => void;
    seen.gate = new Promise<void>((resolve) => (release = resolve));
    const started = new Promise<void>((resolve) => (seen.started = resolve));
    const reply = client!.request('work', 'z');
    await started;
    proxy!.open()[0].blackhole();
    release();
    await expect(reply).rejects.toMatchObject({ code: 'disconnected' });
    expect(seen.runs.get('z')).toBe(1);
  });
});
