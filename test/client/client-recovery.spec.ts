import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { KwsClient, type KwsSession } from '../../src/client/index.js';
import { waitForState } from '../../src/testing/index.js';
import { ProtocolServer, waitUntil } from './protocol-server.js';

describe('KwsClient session recovery handshake (PROTOCOL.md)', () => {
  let server: ProtocolServer | undefined;
  let client: KwsClient | undefined;

  afterEach(async () => {
    client?.close();
    await server?.stop();
    client = server = undefined;
  });

  async function start(): Promise<{ got: string[]; sessions: KwsSession[] }> {
    server = await ProtocolServer.start();
    server.recovery = true;
    client = new KwsClient(server.url('/ws?room=a'), { WebSocket, minDelay: 5, maxDelay: 20 });
    const got: string[] = [];
    const sessions: KwsSession[] = [];
    client.on('news', (data: string) => void got.push(data));
    client.onSession((session) => void sessions.push(session));
    await waitUntil(() => sessions.length === 1, 'the session packet');
    return { got, sessions };
  }

  it('keeps the session uuid, resumes with token and last offset, and gets what it missed once, in order', async () => {
    const { got, sessions } = await start();
    expect(sessions[0]).toEqual({ uuid: expect.stringMatching(/^uuid-/), recovered: false });
    expect(client!.uuid).toBe(sessions[0].uuid);
    expect(client!.recovered).toBe(false);
    expect(server!.upgrades[0]).toBe('/ws?room=a');

    server!.emit('news', 'a');
    server!.emit('news', 'b');
    await waitUntil(() => got.length === 2, 'a and b');
    server!.drop(); // the network goes away: no close handshake
    server!.emit('news', 'c'); // missed, kept by the server

    await waitUntil(() => sessions.length === 2, 'the resumed session');
    // The same URL: the token and offset travel as subprotocols, never in the URL (access logs).
    expect(server!.upgrades[1]).toBe('/ws?room=a');
    expect(server!.resumes[1]?.token).toMatch(/^token-/);
    expect(server!.resumes[1]?.offset).toBe('1');
    expect(sessions[1]).toEqual({ uuid: sessions[0].uuid, recovered: true });
    expect(client!.recovered).toBe(true);

    server!.emit('news', 'd');
    await waitUntil(() => got.length === 4, 'c and d');
    expect(got).toEqual(['a', 'b', 'c', 'd']);
  });

  it('presents each new token once, and starts over (recovered false, no offset) when the server forgets it', async () => {
    const { sessions } = await start();
    server!.emit('news', 'a');
    await waitUntil(() => server!.sockets.size === 1, 'the connection');
    const port = server!.port;
    await server!.stop(1012, 'restart');
    server = await ProtocolServer.start(port); // a new server knows no token
    server.recovery = true;

    await waitUntil(() => sessions.length === 2, 'a fresh session');
    expect(sessions[1].recovered).toBe(false);
    expect(sessions[1].uuid).not.toBe(sessions[0].uuid);
    expect(client!.recovered).toBe(false);
    const first = server.resumes[0]!;
    expect(first.offset).toBe('0');

    server.drop();
    await waitUntil(() => sessions.length === 3, 'the next session');
    const second = server.resumes[1]!;
    // The token of the fresh session, and no offset: nothing arrived in it yet.
    expect(second.token).not.toBe(first.token);
    expect(second.offset).toBe('');
    expect(sessions[2]).toEqual({ uuid: sessions[1].uuid, recovered: true });
    await waitForState(client!, 'open');
  });

  it('reconnects to the plain URL while the server sent no session packet', async () => {
    server = await ProtocolServer.start();
    client = new KwsClient(server.url(), { WebSocket, minDelay: 5 });
    await waitForState(client, 'open');
    server.drop();
    await waitUntil(() => server!.upgrades.length === 2, 'the reconnect');
    expect(server.upgrades).toEqual(['/ws', '/ws']);
    expect(client.uuid).toBeUndefined();
  });
});
