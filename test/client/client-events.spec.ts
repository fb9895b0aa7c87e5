import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { KwsClient, KwsClientError } from '../../src/client/index.js';
import { waitForState } from '../../src/testing/index.js';
import { ProtocolServer, waitUntil } from './protocol-server.js';

describe('KwsClient events and acknowledgements (Node, ws)', () => {
  let server: ProtocolServer;
  let client: KwsClient;

  beforeAll(async () => {
    server = await ProtocolServer.start();
  });
  afterAll(() => server.stop());
  afterEach(async () => {
    client?.close();
    await waitUntil(() => server.sockets.size === 0, 'the server side to close');
    server.received.length = 0;
  });

  async function open(options = {}): Promise<KwsClient> {
    client = new KwsClient(server.url(), { WebSocket, ...options });
    await waitForState(client, 'open');
    return client;
  }

  it('emits {event, data} text packets, in order', async () => {
    await open();
    client.emit('chat', { text: 'hi' });
    client.emit('chat', 'second');
    await waitUntil(() => server.received.length === 2, 'two packets');
    expect(server.received.map((r) => r.text)).toEqual([
      '{"event":"chat","data":{"text":"hi"}}',
      '{"event":"chat","data":"second"}',
    ]);
  });

  it('resolves a request with the server acknowledgement', async () => {
    await open();
    await expect(client.request('echo', { n: 1 })).resolves.toEqual({ n: 1 });
    const [sent] = server.received.splice(0);
    expect(sent.packet).toEqual({ event: 'echo', data: { n: 1 }, id: expect.any(Number) });
  });

  it('rejects a request on an error ack with its message and status', async () => {
    await open();
    const error = await client.request('fail', null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KwsClientError);
    expect(error).toMatchObject({ message: 'Forbidden resource', status: 403, code: 'ack' });
  });

  it('rejects a request with no ack after its timeout, and ignores a late ack', async () => {
    await open({ timeout: 5_000 });
    const error = await client.request('silent', 1, { timeout: 50 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'timeout', status: 408 });
    expect((error as Error).message).toBe('No acknowledgement of "silent" within 50 ms.');
    // A late ack for that id changes nothing, and the client still works.
    const id = server.received.at(-1)!.packet.id;
    server.received.at(-1)!.socket.send(JSON.stringify({ ack: id, data: 'late' }));
    await expect(client.request('echo', 'after')).resolves.toBe('after');
  });

  it('delivers server events to every handler, and off() removes them', async () => {
    await open();
    const seen: string[] = [];
    const first = (data: string): void => void seen.push(`a:${data}`);
    client.on('news', first).on('news', (data: string) => void seen.push(`b:${data}`));
    server.emit('news', 'one');
    server.emit('other', 'x');
    await waitUntil(() => seen.length === 2, 'two handler calls');
    client.off('news', first);
    server.emit('news', 'two');
    await client.request('echo', 'sync'); // a round trip later, 'two' has arrived
    client.off('news');
    server.emit('news', 'three');
    await client.request('echo', 'sync');
    expect(seen).toEqual(['a:one', 'b:one', 'b:two']);
  });

  it('answers a server request with the handler result, a resolved promise, or an error ack', async () => {
    await open();
    client.on('add', ({ a, b }: { a: number; b: number }) => a + b);
    client.on('later', async (text: string) => text.toUpperCase());
    client.on('deny', () => {
      throw Object.assign(new Error('not you'), { status: 403 });
    });
    client.on('crash', () => {
      throw new Error('boom');
    });
    const [socket] = await server.connection();
    expect(await server.request(socket, 'add', { a: 2, b: 3 })).toEqual({ ack: 1, data: 5 });
    expect(await server.request(socket, 'later', 'ok')).toEqual({ ack: 2, data: 'OK' });
    expect(await server.request(socket, 'deny')).toEqual({
      ack: 3,
      error: { message: 'not you', status: 403 },
    });
    expect(await server.request(socket, 'crash')).toEqual({
      ack: 4,
      error: { message: 'boom', status: 500 },
    });
    expect(await server.request(socket, 'nobody-listens')).toEqual({
      ack: 5,
      error: { message: 'The client has no handler for "nobody-listens".', status: 404 },
    });
  });

  it('hands frames that are not packets to the raw message handler, and sends raw frames', async () => {
    await open();
    const raw: Array<string | ArrayBuffer> = [];
    client.on('message', (data) => void raw.push(data));
    const [socket] = await server.connection();
    socket.send('plain text');
    socket.send('{"no":"event"}');
    // The app's own JSON with an `event` among other keys (the Go example's) is not a packet.
    socket.send('{"from":"a","to":"","event":"CUSTOM_EVENT","data":"hi"}');
    socket.send(Buffer.from([1, 2, 3]));
    await waitUntil(() => raw.length === 4, 'four raw frames');
    expect(raw.slice(0, 3)).toEqual([
      'plain text',
      '{"no":"event"}',
      '{"from":"a","to":"","event":"CUSTOM_EVENT","data":"hi"}',
    ]);
    expect([...new Uint8Array(raw[3] as ArrayBuffer)]).toEqual([1, 2, 3]);

    client.send('raw hello');
    client.send(new Uint8Array([9, 8]));
    await waitUntil(() => server.received.length === 2, 'two raw frames');
    expect(server.received.map((r) => r.text)).toEqual(['raw hello', '\t\b']);
  });

  it('rejects a request whose connection is lost before the ack', async () => {
    await open({ minDelay: 10_000 });
    const pending = client.request('silent', 1);
    await waitUntil(() => server.received.length === 1, 'the request');
    server.drop();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'disconnected', status: 0 });
    expect((error as Error).message).toMatch(/lost before "silent" was acknowledged/);
  });

  it('after close(): state closed, no reconnect, calls throw, pending requests reject', async () => {
    await open();
    const pending = client.request('silent', 1);
    await waitUntil(() => server.received.length === 1, 'the request');
    client.close();
    expect(client.state).toBe('closed');
    await expect(pending).rejects.toMatchObject({ code: 'closed' });
    expect(() => client.emit('chat', 1)).toThrow(/client is closed/);
    await expect(client.request('echo', 1)).rejects.toMatchObject({ code: 'closed' });
    await waitUntil(() => server.sockets.size === 0, 'the server side to close');
  });

  it('explains how to pass a WebSocket class when the runtime has none', () => {
    const global = globalThis as { WebSocket?: unknown };
    const saved = global.WebSocket;
    delete global.WebSocket; // Node 20 has none; Node >= 22 does
    try {
      expect(() => new KwsClient(server.url())).toThrow(
        /no global WebSocket \(Node < 22\); pass one, e\.g\. `new KwsClient\(url, \{ WebSocket \}\)`/,
      );
    } finally {
      if (saved) global.WebSocket = saved;
    }
  });

  it.runIf(typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function')(
    "uses the runtime's global WebSocket when none is given (Node >= 22)",
    async () => {
      client = new KwsClient(server.url());
      await waitForState(client, 'open');
      await expect(client.request('echo', 'global')).resolves.toBe('global');
    },
  );
});
