import { describe, expect, it } from 'vitest';
import { KwsServer } from 'nestjs-kws';
import { eventually } from '../helpers/ws-client.js';
import { chatMessage, nextJson, skip } from './chat-users.js';
import { useSample } from './start-sample.js';

describe('the sample chat with one user in two tabs', () => {
  const session = useSample();
  const joinAs = (id: string) => session.joinAs(id);

  /** An announcement through the HTTP API: it reaches each socket after anything sent before it. */
  async function announce(text: string): Promise<void> {
    const response = await fetch(session.sample.httpUrl('/announcements'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    expect(response.status).toBe(202);
  }

  it('direct messages reach every tab; closing one tab is not leaving', async () => {
    const bob = await joinAs('bob');
    const tab1 = await joinAs('alice');
    await skip(bob.client, 1); // alice arriving
    const tab2 = await joinAs('alice');
    await skip(bob.client, 1); // alice's second tab arriving
    await skip(tab1.client, 1);

    bob.client.send(chatMessage('alice', 'to both tabs'));
    for (const tab of [tab1, tab2]) {
      expect(await nextJson(tab.client)).toMatchObject({ from: 'bob', data: 'to both tabs' });
    }

    await tab2.client.close();
    const server = session.sample.app.get(KwsServer);
    await eventually(
      () => server.localCount,
      (n) => n === 2,
    );
    await announce('after the tab closed');
    // Nothing about alice leaving came first.
    expect(await nextJson(bob.client)).toMatchObject({ event: 'announcement' });
    await skip(tab1.client, 1);

    bob.client.send(chatMessage('alice', 'still reachable'));
    expect(await nextJson(tab1.client)).toMatchObject({ from: 'bob', data: 'still reachable' });

    await tab1.client.close();
    expect(await nextJson(bob.client)).toEqual({
      from: 'server',
      to: '',
      event: 'user-left',
      data: 'alice',
    });
  });
});
