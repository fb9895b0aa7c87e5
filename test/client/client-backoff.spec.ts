import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { KwsClient, type KwsClientOptions, type KwsStateChange } from '../../src/client/index.js';
import { waitForState } from '../../src/testing/index.js';
import { CountingServer } from './load-shedding.js';
import { waitUntil } from './protocol-server.js';

/**
 * The backoff against a server that sheds load: it accepts and then closes with 1013, so every
 * attempt "succeeds" for a moment. The backoff must keep growing (it starts over only once a
 * connection stayed up `stableAfter` ms, or a session resumed), and a server's `retryAfter` is a
 * floor every client respects. Figures for 10,000 clients: bench/reconnect-storm.ts, docs/deploying.md.
 */
describe('KwsClient backoff against load shedding and restarts', () => {
  let server: CountingServer | undefined;
  let clients: KwsClient[] = [];

  afterEach(async () => {
    for (const client of clients) client.close();
    clients = [];
    await server?.stop();
    server = undefined;
  });

  function connectMany(count: number, options: KwsClientOptions): KwsStateChange[][] {
    const changes: KwsStateChange[][] = [];
    for (let i = 0; i < count; i++) {
      const client = new KwsClient(server!.url(i), { WebSocket, ...options });
      const own: KwsStateChange[] = [];
      client.onState((change) => own.push(change));
      changes.push(own);
      clients.push(client);
    }
    return changes;
  }

  it('keeps backing off when every connection is shed with 1013 (50 clients): attempts grow, reconnects/s stay under N * 2 / maxDelay', async () => {
    server = await CountingServer.start();
    server.shed = { code: 1013, reason: 'busy' };
    const maxDelay = 400;
    const changes = connectMany(50, { minDelay: 20, maxDelay, stableAfter: 2_000 });
    const start = performance.now();
    await waitUntil(() => performance.now() - start > 3_000, '3 s of shedding', 4_000);

    // Each client's attempt count grew instead of starting over at every (shed) open.
    for (const own of changes) {
      const attempts = own.filter((c) => c.state === 'reconnecting').map((c) => c.attempt!);
      expect(Math.max(...attempts)).toBeGreaterThanOrEqual(5);
      expect(attempts.slice(1).every((n, i) => n > attempts[i])).toBe(true);
    }
    // The documented ceiling once backed off: on average one reconnect per maxDelay / 2 per
    // client (full jitter), here 50 * 2 / 0.4 s = 250/s; allow 1.5x for the randomness.
    const perSecond = server.histogram(start, 1_000);
    const lastSecond = perSecond[2] ?? 0;
    expect(lastSecond).toBeLessThanOrEqual(375);
  });

  it('honours a retryAfter in the 1013 close reason: no client comes back sooner (50 clients)', async () => {
    server = await CountingServer.start();
    const retryAfter = 300;
    server.shed = { code: 1013, reason: JSON.stringify({ retryAfter }) };
    const changes = connectMany(50, { minDelay: 20, maxDelay: 1_000 });
    const start = performance.now();
    await waitUntil(() => performance.now() - start > 2_000, '2 s of shedding', 3_000);

    const byClient = new Map<string, number[]>();
    for (const { at, client } of server.upgrades) {
      byClient.set(client, [...(byClient.get(client) ?? []), at]);
    }
    expect(byClient.size).toBe(50);
    for (const times of byClient.values()) {
      expect(times.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < times.length; i++) {
        // The close reaches the client a moment after the upgrade: allow a few ms of timers.
        expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(retryAfter - 5);
      }
    }
    // So the server sees at most 50 * 1000 / 300 ≈ 167 reconnects per second.
    for (const count of server.histogram(start, 1_000).slice(0, 2)) {
      expect(count).toBeLessThanOrEqual(Math.ceil((50 * 1_000) / retryAfter) + 50);
    }
    for (const own of changes) {
      for (const change of own.filter((c) => c.state === 'reconnecting')) {
        expect(change.delay).toBeGreaterThanOrEqual(retryAfter);
      }
    }
  });

  it('starts the backoff over once a connection stayed up stableAfter ms', async () => {
    server = await CountingServer.start();
    server.shed = { code: 1013, reason: 'busy' };
    const [changes] = connectMany(1, { minDelay: 5, maxDelay: 40, stableAfter: 200 });
    await waitUntil(
      () => changes.filter((c) => c.state === 'reconnecting').length >= 4,
      '4 shed attempts',
    );
    server.shed = undefined;
    await waitForState(clients[0], 'open');
    const opened = performance.now();
    // Still counting while the connection is young...
    const [socket] = [...server.sockets];
    socket.terminate();
    const early = await waitForState(clients[0], 'reconnecting');
    expect(early.attempt).toBeGreaterThan(4);
    // ...and from 1 once one stayed up past stableAfter.
    await waitForState(clients[0], 'open');
    await waitUntil(() => performance.now() - opened > 500, 'a stable connection');
    [...server.sockets][0].terminate();
    expect((await waitForState(clients[0], 'reconnecting')).attempt).toBe(1);
  });

  it('spreads 500 clients reconnecting to a restarted node over their backoff window', async () => {
    server = await CountingServer.start();
    const changes = connectMany(500, { minDelay: 250, maxDelay: 4_000 });
    await waitUntil(() => server!.sockets.size === 500, '500 connections', 20_000);
    await server.stop(1012, JSON.stringify({ retryAfter: 0 }));
    await waitUntil(() => clients.every((c) => c.state === 'reconnecting'), 'all reconnecting');
    const down = performance.now();
    await waitUntil(() => performance.now() - down > 1_000, '1 s down', 2_000);
    const back = performance.now();
    await server.listen();
    await waitUntil(() => server!.sockets.size === 500, 'all 500 back', 20_000);
    // The server counts a socket before its client has read the upgrade answer.
    await waitUntil(() => clients.every((c) => c.state === 'open'), 'all 500 open');

    const buckets = server.histogram(back, 100);
    const peak = Math.max(...buckets);
    const spanMs = buckets.length * 100;
    // Printed for docs/deploying.md (the 10,000-client figures come from bench/reconnect-storm.ts).
    console.log(`storm of 500: back within ${spanMs} ms, peak ${peak} per 100 ms`, buckets);
    // Full jitter: no 100 ms has 40% of the crowd (lockstep would put all 500 in one). The
    // server and the 500 clients share this process: a busy event loop bunches arrivals a bit.
    expect(peak).toBeLessThanOrEqual(200);
    // And nobody waited past the largest window (maxDelay) plus the time to connect.
    expect(spanMs).toBeLessThanOrEqual(4_000 + 1_000);
    expect(changes.every((own) => own.at(-1)?.state === 'open')).toBe(true);
  });
});
