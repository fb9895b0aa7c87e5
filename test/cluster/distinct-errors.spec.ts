import { describe, expect, it } from 'vitest';
import { KwsInvalidConnectionError, KwsMessageDroppedError } from '../../src/index.js';
import { askUntil, ClusterClient } from './cluster-client.js';
import { useTwoNodes } from './two-nodes.js';

/**
 * A live connection whose message was dropped is not reported as offline: an app that evicts
 * users on `KwsInvalidConnectionError` must not evict a user whose reader is only slow.
 */
describe('a message dropped for a slow reader', () => {
  const limit = 64 * 1024;
  const { nodes, clients } = useTwoNodes({ sendBufferLimit: limit, slowConsumer: 'drop' });

  it('fails with KwsMessageDroppedError on the same node and across nodes, unlike an unknown uuid', async () => {
    const [a, b] = nodes;
    clients.push(await ClusterClient.open(a.url), await ClusterClient.open(b.url));
    const [a1, b1] = clients;
    const slowId = await b1.ask('whoami');
    expect(await askUntil(a1, 'count', (n) => n === '2')).toBe('2');
    // b1 stops reading; its node queues until the limit, then drops.
    b1.client.socket.pause();
    const slow = b.server.get(slowId)!;
    // Fill until the kernel's buffers are full too: the queue then stays over the limit.
    const chunk = Buffer.alloc(16 * 1024, 1);
    for (let refused = 0, i = 0; refused < 10 && i < 100_000; i++) {
      if (slow.emit(chunk)) refused = 0;
      else {
        refused++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    await expect(b.server.emitTo(slowId, 'same node')).rejects.toBeInstanceOf(
      KwsMessageDroppedError,
    );
    await expect(a.server.emitTo(slowId, 'other node')).rejects.toMatchObject({
      name: 'KwsMessageDroppedError',
      uuid: slowId,
      reason: 'slow-consumer',
    });
    expect(slow.isAlive()).toBe(true);
    await expect(a.server.emitTo('nobody', 'x')).rejects.toBeInstanceOf(KwsInvalidConnectionError);
    await expect(b.server.emitTo('nobody', 'x')).rejects.toBeInstanceOf(KwsInvalidConnectionError);
  });
});
