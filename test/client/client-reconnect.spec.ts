import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  backoffDelay,
  KwsClient,
  type KwsClientOptions,
  type KwsStateChange,
} from '../../src/client/index.js';
import { waitForState } from '../../src/testing/index.js';
import { ProtocolServer, waitUntil } from './protocol-server.js';

describe('KwsClient reconnect, backoff and offline queue (Node, ws)', () => {
  let server: ProtocolServer | undefined;
  let client: KwsClient | undefined;
  let changes: KwsStateChange[];
  let times: number[];

  afterEach(async () => {
    client?.close();
    await server?.stop();
    client = server = undefined;
  });

  function connect(url: string, options: KwsClientOptions = {}): KwsClient {
    client = new KwsClient(url, { WebSocket, ...options });
    changes = [];
    times = [];
    client.onState((change) => {
      changes.push(change);
      times.push(performance.now());
    });
    return client;
  }

  /** A port nothing listens on (a server that is down). */
  async function deadUrl(): Promise<string> {
    const probe = await ProtocolServer.start();
    await probe.stop();
    return probe.url();
  }

  it('reconnects after a server restart on the same port and flushes what was queued, in order', async () => {
    server = await ProtocolServer.start();
    connect(server.url(), { minDelay: 20, maxDelay: 100 });
    await waitForState(client!, 'open');

    await server.stop(1001, 'Server shutting down');
    await waitForState(client!, 'reconnecting');
    expect(changes[1]).toMatchObject({ code: 1001, reason: 'Server shutting down', attempt: 1 });
    client!.emit('chat', 'while away 1');
    client!.send('raw while away');
    client!.emit('chat', 'while away 2');

    await server.listen();
    await waitForState(client!, 'open');
    await waitUntil(() => server!.received.length === 3, 'the queued frames');
    expect(server.received.map((r) => r.text)).toEqual([
      '{"event":"chat","data":"while away 1"}',
      'raw while away',
      '{"event":"chat","data":"while away 2"}',
    ]);
    expect(changes.map((change) => change.state)).toEqual([
      'open',
      ...Array(changes.length - 2).fill('reconnecting'),
      'open',
    ]);
    // An open alone does not start the backoff over (a server that sheds would get everyone
    // back at once, forever): only a connection up `stableAfter` ms does (client-backoff.spec.ts).
    const before = changes.filter((change) => change.state === 'reconnecting').length;
    server.drop();
    expect((await waitForState(client!, 'reconnecting')).attempt).toBe(before + 1);
  });

  it('keeps each backoff delay within [0, min(maxDelay, minDelay * 2^(attempt-1))] and waits it out', async () => {
    connect(await deadUrl(), { minDelay: 10, maxDelay: 40, maxAttempts: 6 });
    await waitForState(client!, 'closed');
    const attempts = changes.filter((change) => change.state === 'reconnecting');
    expect(attempts.map((change) => change.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const { attempt, delay } of attempts) {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(Math.min(40, 10 * 2 ** (attempt! - 1)));
    }
    // The next attempt (and so its failure) never comes before the announced delay.
    for (let i = 0; i < attempts.length - 1; i++) {
      expect(times[i + 1] - times[i]).toBeGreaterThanOrEqual(attempts[i].delay! - 1);
    }
    expect(changes.at(-1)).toMatchObject({ state: 'closed', code: 1006 });
  });

  it('computes full-jitter delays: random * min(maxDelay, minDelay * 2^attempt)', () => {
    const top = () => 0.9999;
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, 100, 1_000, top))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(3, 100, 1_000, () => 0)).toBe(0);
    expect(backoffDelay(3, 100, 1_000, () => 0.5)).toBe(400);
  });

  it('gives up after maxAttempts failed attempts and reports the frames it never sent', async () => {
    connect(await deadUrl(), { minDelay: 5, maxDelay: 10, maxAttempts: 2 });
    client!.emit('chat', 'never sent');
    client!.send('raw never sent');
    const request = client!.request('echo', 1);
    const closed = await waitForState(client!, 'closed');
    expect(changes.map((change) => change.state)).toEqual([
      'reconnecting',
      'reconnecting',
      'closed',
    ]);
    expect(closed.unsent).toEqual(['{"event":"chat","data":"never sent"}', 'raw never sent']);
    await expect(request).rejects.toMatchObject({ code: 'closed' });
  });

  it('never reconnects with maxAttempts 0', async () => {
    server = await ProtocolServer.start();
    connect(server.url(), { maxAttempts: 0 });
    await waitForState(client!, 'open');
    server.drop();
    expect(await waitForState(client!, 'closed')).toMatchObject({ code: 1006 });
  });

  for (const code of [1008, 4001, 4999]) {
    it(`does not reconnect after the server closes with ${code}`, async () => {
      server = await ProtocolServer.start();
      connect(server.url(), { minDelay: 1 });
      await waitForState(client!, 'open');
      const [socket] = await server.connection();
      socket.close(code, 'not allowed');
      expect(await waitForState(client!, 'closed')).toMatchObject({ code, reason: 'not allowed' });
      expect(changes.map((change) => change.state)).toEqual(['open', 'closed']);
      expect(server.upgrades).toHaveLength(1);
    });
  }

  it('reconnects after other close codes (1011, 1012, 3000)', async () => {
    server = await ProtocolServer.start();
    connect(server.url(), { minDelay: 1 });
    for (const code of [1011, 1012, 3000]) {
      await waitForState(client!, 'open');
      const [socket] = await server.connection();
      socket.close(code);
      expect(await waitForState(client!, 'reconnecting')).toMatchObject({ code });
    }
    await waitForState(client!, 'open');
    expect(server.upgrades).toHaveLength(4);
  });

  it('refuses frames past queueSize with a clear error, and loses none it accepted', async () => {
    const url = await deadUrl();
    connect(url, { minDelay: 5, maxDelay: 20, queueSize: 2 });
    client!.emit('chat', 1);
    client!.emit('chat', 2);
    expect(() => client!.emit('chat', 3)).toThrow(
      'Not connected and the offline queue is full (2 frames): this frame was not queued. Raise "queueSize" or wait for the "open" state.',
    );
    expect(() => client!.send('raw')).toThrow(expect.objectContaining({ code: 'queue-full' }));
    await expect(client!.request('echo', 4)).rejects.toMatchObject({ code: 'queue-full' });

    server = await ProtocolServer.start(Number(new URL(url).port));
    await waitForState(client!, 'open', 10_000);
    await waitUntil(() => server!.received.length === 2, 'the queued frames');
    expect(server.received.map((r) => r.packet.data)).toEqual([1, 2]);
  });

  it('throws at once while offline when queueSize is 0', () => {
    connect('ws://127.0.0.1:9', { queueSize: 0, maxAttempts: 0 });
    expect(() => client!.emit('chat', 1)).toThrow(/offline queue is full \(0 frames\)/);
  });

  it('sends a queued request once connected, and drops it from the queue when it times out first', async () => {
    const url = await deadUrl();
    connect(url, { minDelay: 5, maxDelay: 20 });
    const late = client!.request('echo', 'too late', { timeout: 20 });
    const answered = client!.request('echo', 'answered', { timeout: 10_000 });
    await expect(late).rejects.toMatchObject({ code: 'timeout', status: 408 });

    server = await ProtocolServer.start(Number(new URL(url).port));
    await expect(answered).resolves.toBe('answered');
    expect(server.received.map((r) => r.packet.data)).toEqual(['answered']);
  });

  it('close() while reconnecting stops the attempts', async () => {
    connect(await deadUrl(), { minDelay: 5, maxDelay: 10 });
    await waitForState(client!, 'reconnecting');
    client!.emit('chat', 'queued');
    const request = client!.request('echo', 'queued too');
    client!.close();
    expect(changes.at(-1)).toEqual({
      state: 'closed',
      code: 1000,
      reason: undefined,
      unsent: ['{"event":"chat","data":"queued"}'],
    });
    await expect(request).rejects.toMatchObject({ code: 'closed' });
    const count = changes.length;
    // The attempt under way fails within milliseconds (connection refused): give it 50 ms, and
    // neither it nor a timer may change anything.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(changes).toHaveLength(count);
    expect(client!.state).toBe('closed');
  });
});
