import { describe, expect, it } from 'vitest';
import { chatMessage, nextJson, skip } from './chat-users.js';
import { useSample } from './start-sample.js';

describe('the sample chat over WebSocket', () => {
  const session = useSample();
  const joinAs = (id: string) => session.joinAs(id);

  it('welcomes a newcomer and tells everyone else, but not the newcomer, about it', async () => {
    const alice = await joinAs('alice');
    const bob = await joinAs('bob');
    expect((await alice.client.next()).text).toBe(`New user connected: bob and UUID: ${bob.uuid}`);
    expect(bob.uuid).not.toBe(alice.uuid);
    // Bob's next message is alice's, not a "New user connected" about himself.
    alice.client.send(chatMessage('bob', 'first for bob'));
    expect(await nextJson(bob.client)).toMatchObject({ from: 'alice', data: 'first for bob' });
  });

  it('delivers a direct message to its recipient only, signed with the sender id', async () => {
    const alice = await joinAs('alice');
    const bob = await joinAs('bob');
    const carol = await joinAs('carol');
    await skip(alice.client, 2); // bob and carol arriving
    await skip(bob.client, 1); // carol arriving

    // The frame claims to be from "whoever"; the server signs it with the connection's user id.
    alice.client.send(chatMessage('bob', 'psst, bob'));
    alice.client.send(chatMessage('', 'hello everyone'));

    expect(await nextJson(bob.client)).toEqual({
      from: 'alice',
      to: 'bob',
      event: '',
      data: 'psst, bob',
    });
    expect(await nextJson(bob.client)).toMatchObject({
      from: 'alice',
      to: '',
      data: 'hello everyone',
    });
    // Carol's first message after the join is the broadcast: the direct one never reached her.
    expect(await nextJson(carol.client)).toMatchObject({ from: 'alice', data: 'hello everyone' });
    // And the sender does not get its own messages back.
    alice.client.send('not json');
    expect(await nextJson(alice.client)).toMatchObject({ from: 'server', event: 'error' });
  });

  it('fires a custom event whose listener answers the sender, then still routes the message', async () => {
    const alice = await joinAs('alice');
    const bob = await joinAs('bob');
    await skip(alice.client, 1); // bob arriving

    alice.client.send(chatMessage('bob', 'party', 'CUSTOM_EVENT'));

    expect(await nextJson(alice.client)).toEqual({
      from: 'server',
      to: 'alice',
      event: 'CUSTOM_EVENT',
      data: 'CUSTOM_EVENT listener ran with data: party',
    });
    expect(await nextJson(bob.client)).toMatchObject({
      from: 'alice',
      event: 'CUSTOM_EVENT',
      data: 'party',
    });
  });

  it('answers malformed messages with an error and keeps the connection usable', async () => {
    const alice = await joinAs('alice');
    const bob = await joinAs('bob');
    await skip(alice.client, 1); // bob arriving

    for (const bad of ['{not json', '[1,2]', 'null', JSON.stringify({ to: 5, data: 'x' })]) {
      alice.client.send(bad);
      const reply = await nextJson(alice.client);
      expect(reply).toMatchObject({ from: 'server', to: 'alice', event: 'error' });
      expect(reply.data).toMatch(/^Malformed message/);
    }
    alice.client.send(chatMessage('bob', 'still here'));
    expect(await nextJson(bob.client)).toMatchObject({ from: 'alice', data: 'still here' });
  });

  it('tells the sender when the recipient is not online, and nobody else', async () => {
    const alice = await joinAs('alice');
    const bob = await joinAs('bob');
    await skip(alice.client, 1); // bob arriving

    alice.client.send(chatMessage('nobody', 'hello?'));
    expect(await nextJson(alice.client)).toEqual({
      from: 'server',
      to: 'alice',
      event: 'error',
      data: 'User nobody is not online',
    });
    alice.client.send(chatMessage('bob', 'after the error'));
    expect(await nextJson(bob.client)).toMatchObject({ data: 'after the error' });
  });

  it('sends binary frames back to everyone, the sender included, byte for byte', async () => {
    const alice = await joinAs('alice');
    const bob = await joinAs('bob');
    await skip(alice.client, 1); // bob arriving
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);

    alice.client.send(bytes);

    for (const user of [alice, bob]) {
      const received = await user.client.next();
      expect(received.isBinary).toBe(true);
      expect(received.data).toEqual(bytes);
    }
  });
});
