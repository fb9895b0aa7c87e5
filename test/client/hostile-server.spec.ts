import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { KwsClient, KwsClientError } from '../../src/client/index.js';
import { waitForState } from '../../src/testing/index.js';
import { watchCrashes } from '../helpers/crash-watch.js';
import { ProtocolServer, waitUntil } from './protocol-server.js';

/**
 * The client against a hostile server (a real `ws` server sending what it likes): whatever
 * arrives, nothing is thrown out of the socket's callbacks. Malformed packets and failing handlers
 * reach `onError`; acks are read field by field.
 */
describe('KwsClient against a hostile server', () => {
  let server: ProtocolServer;
  let client: KwsClient;
  let errors: KwsClientError[];
  const watch = watchCrashes();

  beforeAll(async () => {
    server = await ProtocolServer.start();
  });
  afterAll(() => server.stop());
  afterEach(async () => {
    client?.close();
    await waitUntil(() => server.sockets.size === 0, 'the server side to close');
    server.received.length = 0;
    vi.restoreAllMocks();
  });

  async function open(): Promise<WebSocket> {
    client = new KwsClient(server.url(), { WebSocket });
    errors = [];
    client.onError((error) => errors.push(error));
    await waitForState(client, 'open');
    const [socket] = await server.connection();
    return socket;
  }

  /** Sends a client request and answers it with `answer(id)`, raw text from the server. */
  async function answered(socket: WebSocket, answer: (id: number) => string): Promise<unknown> {
    const before = server.received.length;
    const request = client.request('silent', 1).catch((error: unknown) => error);
    await waitUntil(() => server.received.length > before, 'the request');
    socket.send(answer(server.received.at(-1)!.packet.id));
    return request;
  }

  it('an error ack whose message has a toString that is not a function rejects the request, no crash', async () => {
    const socket = await open();
    const error = await answered(
      socket,
      (id) => `{"ack":${id},"error":{"message":{"toString":1},"status":{"valueOf":1}}}`,
    );
    expect(error).toBeInstanceOf(KwsClientError);
    expect(error).toMatchObject({ message: 'Error', code: 'ack', status: 500 });
    expect(await watch.settled()).toEqual([]);
    await expect(client.request('echo', 'still here')).resolves.toBe('still here');
  });

  it.each([
    ['a number message, a string status', { message: 42, status: '403' }, 'Error', 500],
    ['a status out of range', { message: 'no', status: 1e308 }, 'no', 500],
    ['a fractional status', { message: 'no', status: 403.5 }, 'no', 500],
    ['a 500 kB message', { message: 'x'.repeat(500_000), status: 400 }, 'x'.repeat(1024), 400],
  ])('an error ack with %s reads as sane fields', async (_, body, message, status) => {
    const socket = await open();
    const error = await answered(socket, (id) => JSON.stringify({ ack: id, error: body }));
    expect(error).toMatchObject({ message, code: 'ack', status });
  });

  it('malformed packets are onError reports (code "protocol"): no handler runs, nothing answered', async () => {
    const socket = await open();
    const seen: unknown[] = [];
    client.on('q', (data) => seen.push(data));
    client.on('message', (raw) => seen.push(raw));
    const sessions: unknown[] = [];
    client.onSession((session) => sessions.push(session));
    const malformed = [
      '{"event":5,"data":1}',
      '{"event":"q","data":1,"id":{"toString":1}}',
      '{"event":"q","data":1,"id":0}',
      '{"event":"q","data":1,"id":2147483648}',
      '{"event":"q","data":1,"offset":{"o":1}}',
      '{"ack":"1","data":1}',
      '{"ack":1.5,"data":1}',
      '{"session":5}',
      '{"session":{"token":"t","uuid":{"toString":1},"recovered":true}}',
    ];
    for (const text of malformed) socket.send(text);
    // Not packets at all: raw messages, as before.
    for (const text of ['null', '5', '[1]', '"text"', '{"data":1}']) socket.send(text);
    await waitUntil(() => errors.length === malformed.length && seen.length === 5, 'every frame');
    expect(errors.every((e) => e instanceof KwsClientError && e.code === 'protocol')).toBe(true);
    expect(errors.map((e) => /its "(\w+)"/.exec(e.message)![1])).toEqual([
      'event',
      'id',
      'id',
      'id',
      'offset',
      'ack',
      'ack',
      'session',
      'session',
    ]);
    expect(seen).toEqual(['null', '5', '[1]', '"text"', '{"data":1}']);
    expect(sessions).toEqual([]);
    expect(client.uuid).toBeUndefined();
    expect(server.received).toEqual([]); // no ack for a bad id
    expect(await watch.settled()).toEqual([]);
  });

  it('a handler that throws or rejects is an onError report (code "handler"); the other handlers still run', async () => {
    const socket = await open();
    const boom = new Error('the handler broke');
    const ran: string[] = [];
    client.on('news', () => {
      throw boom;
    });
    client.on('news', async () => {
      ran.push('second');
      throw boom;
    });
    client.on('news', () => void ran.push('third'));
    socket.send('{"event":"news","data":{"toString":1}}');
    await waitUntil(() => errors.length === 2, 'two reports');
    expect(errors.map((e) => [e.code, e.message, e.cause])).toEqual([
      ['handler', 'A handler of "news" failed.', boom],
      ['handler', 'A handler of "news" failed.', boom],
    ]);
    expect(ran).toEqual(['second', 'third']);
    expect(await watch.settled()).toEqual([]);
    await expect(client.request('echo', 'still here')).resolves.toBe('still here');
  });

  it('an answer that cannot be encoded is a 500 error ack and an onError report, not an unhandled rejection', async () => {
    const socket = await open();
    client.on('question', () => ({ total: 10n }));
    const ack = await server.request(socket, 'question');
    expect(ack).toEqual({
      ack: expect.any(Number),
      error: { message: 'The answer to "question" cannot be encoded as JSON.', status: 500 },
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'handler' });
    expect(errors[0].cause).toBeInstanceOf(TypeError);
    expect(await watch.settled()).toEqual([]);
  });

  it('without an onError listener, reports go to console.error', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    client = new KwsClient(server.url(), { WebSocket });
    await waitForState(client, 'open');
    const [socket] = await server.connection();
    client.on('news', () => {
      throw new Error('unheard');
    });
    socket.send('{"event":"news"}');
    socket.send('{"event":7}');
    await waitUntil(() => logged.mock.calls.length === 2, 'two log lines');
    expect(logged.mock.calls.map(([error]) => (error as KwsClientError).code)).toEqual([
      'handler',
      'protocol',
    ]);
    expect(await watch.settled()).toEqual([]);
  });
});
