import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { KwsClient, KwsClientError } from '../../src/client/index.js';
import { nextJson, skip } from './chat-users.js';
import { useSample } from './start-sample.js';

/** The named event the page uses for direct messages, driven by the shipped client. */
describe('sample chat: direct messages with a delivery receipt', () => {
  const session = useSample();

  const clientAs = async (id: string): Promise<KwsClient> => {
    const client = new KwsClient(session.sample.wsUrl(`/ws/${id}`), { WebSocket, maxAttempts: 0 });
    await new Promise<void>((resolve) =>
      client.onState(({ state }) => state === 'open' && resolve()),
    );
    return client;
  };

  it('acks with the number of the recipient connections it reached, which get the Go frame', async () => {
    const bobTab1 = await session.joinAs('bob');
    const bobTab2 = await session.joinAs('bob');
    await skip(bobTab1.client, 1); // the second tab's arrival notice
    const alice = await clientAs('alice');
    try {
      expect(await alice.request('direct', { to: 'bob', text: 'psst' })).toEqual({ delivered: 2 });
      for (const tab of [bobTab1, bobTab2]) {
        await skip(tab.client, 1); // alice's arrival notice
        expect(await nextJson(tab.client)).toEqual({
          from: 'alice',
          to: 'bob',
          event: '',
          data: 'psst',
        });
      }
    } finally {
      alice.close();
    }
  });

  it('says why when the recipient is not online, or the message is invalid', async () => {
    const alice = await clientAs('alice');
    try {
      const offline = await alice
        .request('direct', { to: 'nobody', text: 'hi' })
        .catch((e: unknown) => e);
      expect(offline).toBeInstanceOf(KwsClientError);
      expect(offline).toMatchObject({ message: 'User nobody is not online', status: 404 });
      const empty = await alice.request('direct', { to: 'bob', text: '' }).catch((e: unknown) => e);
      expect(empty).toMatchObject({ message: 'text should not be empty', status: 400 });
    } finally {
      alice.close();
    }
  });
});
