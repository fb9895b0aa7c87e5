import { describe, expect, it } from 'vitest';
import { nextJson } from './chat-users.js';
import { useSample } from './start-sample.js';

describe('the sample chat over HTTP (ChatController with KwsServer)', () => {
  const session = useSample();
  const joinAs = (id: string) => session.joinAs(id);

  async function onlineUsers(): Promise<Array<{ id: string; uuid: string }>> {
    const response = await fetch(session.sample.httpUrl('/users'));
    expect(response.status).toBe(200);
    return (await response.json()) as Array<{ id: string; uuid: string }>;
  }

  it('GET /users lists who is online and drops a user who disconnects', async () => {
    expect(await onlineUsers()).toEqual([]);
    const bob = await joinAs('bob');
    const alice = await joinAs('alice');

    expect(await onlineUsers()).toEqual([
      { id: 'alice', uuid: alice.uuid },
      { id: 'bob', uuid: bob.uuid },
    ]);

    await bob.client.close();
    // Alice is told, then the list no longer has bob.
    expect(await nextJson(alice.client)).toEqual({
      from: 'server',
      to: '',
      event: 'user-left',
      data: 'bob',
    });
    expect(await onlineUsers()).toEqual([{ id: 'alice', uuid: alice.uuid }]);
  });

  it('POST /announcements reaches every connected user', async () => {
    const alice = await joinAs('alice');
    const bob = await joinAs('bob');
    await alice.client.next(); // bob's arrival

    const response = await fetch(session.sample.httpUrl('/announcements'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Maintenance at noon' }),
    });

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ recipients: 2 });
    for (const user of [alice, bob]) {
      expect(await nextJson(user.client)).toEqual({
        from: 'server',
        to: '',
        event: 'announcement',
        data: 'Maintenance at noon',
      });
    }
  });

  it('POST /announcements without text is a 400 and sends nothing', async () => {
    const alice = await joinAs('alice');
    const response = await fetch(session.sample.httpUrl('/announcements'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: '  ' }),
    });
    expect(response.status).toBe(400);
    // The next thing alice hears is a later announcement, not an empty one.
    await fetch(session.sample.httpUrl('/announcements'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'real one' }),
    });
    expect(await nextJson(alice.client)).toMatchObject({ data: 'real one' });
  });
});
