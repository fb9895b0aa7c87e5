import { describe, expect, it } from 'vitest';
import { KwsAckError, KwsInvalidConnectionError, KwsTimeoutError } from '../../src/index.js';
import { askUntil, ClusterClient } from './cluster-client.js';
import { useTwoNodes } from './two-nodes.js';

/** `KwsServer.request` to a connection held by another node: the answer comes back to the asker. */
describe('a request across nodes', () => {
  const { nodes, clients } = useTwoNodes({ parser: 'json' });

  it('resolves with the client ack, or rejects with its error, a timeout, or an unknown uuid', async () => {
    const [a, b] = nodes;
    const b1 = await ClusterClient.open(b.url);
    clients.push(b1);
    // The client on node B answers "add" with the sum, "deny" with an error, and ignores "mute".
    b1.client.socket.on('message', (raw: Buffer) => {
      if (raw[0] !== 0x7b) return; // command answers are plain text
      const packet = JSON.parse(raw.toString()) as { event?: string; data?: number[]; id?: number };
      if (packet.id === undefined) return;
      if (packet.event === 'add') {
        const sum = packet.data!.reduce((total, n) => total + n, 0);
        b1.client.send(JSON.stringify({ ack: packet.id, data: { sum } }));
      } else if (packet.event === 'deny') {
        b1.client.send(JSON.stringify({ ack: packet.id, error: { message: 'no', status: 403 } }));
      }
    });
    const uuid = await b1.ask('whoami');
    expect(await askUntil(b1, 'count', (n) => n === '1')).toBe('1');

    await expect(a.server.request(uuid, { event: 'add', data: [1, 2, 3] })).resolves.toEqual({
      sum: 6,
    });
    await expect(a.server.request(uuid, { event: 'deny' })).rejects.toMatchObject({
      constructor: KwsAckError,
      status: 403,
      message: 'no',
    });
    const muted = a.server.request(uuid, { event: 'mute' }, { timeout: 200 });
    await expect(muted).rejects.toBeInstanceOf(KwsTimeoutError);
    await expect(muted).rejects.toMatchObject({ event: 'mute', timeoutMs: 200 });
    await expect(a.server.request('nobody', { event: 'add', data: [] })).rejects.toBeInstanceOf(
      KwsInvalidConnectionError,
    );
  });
});
