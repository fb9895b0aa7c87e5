import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../helpers/redis-server.js';
import { join, type ChatUser } from '../sample/chat-users.js';
import { startSample, type RunningSample } from '../sample/start-sample.js';

/** The sample chat run as two instances sharing one Redis (`REDIS_URL`), as behind a balancer. */
describe('the sample chat on two nodes', () => {
  let redis: { url: string; stop(): Promise<void> };
  const samples: RunningSample[] = [];
  const users: ChatUser[] = [];

  beforeAll(async () => {
    redis = await testRedisUrl();
    process.env.REDIS_URL = redis.url;
    process.env.KWS_PREFIX = `kws-test-${randomUUID()}`;
    samples.push(await startSample(), await startSample());
  });

  afterAll(async () => {
    for (const user of users) user.client.socket.terminate();
    await Promise.all(samples.map((sample) => sample.app.close()));
    delete process.env.REDIS_URL;
    delete process.env.KWS_PREFIX;
    await redis.stop();
  });

  async function onlineUsers(sample: RunningSample): Promise<Array<{ id: string; uuid: string }>> {
    const response = await fetch(sample.httpUrl('/users'));
    expect(response.status).toBe(200);
    return (await response.json()) as Array<{ id: string; uuid: string }>;
  }

  it('GET /users on either node lists the users of both, and drops one who leaves', async () => {
    const [one, two] = samples;
    const alice = await join(one.wsUrl, 'alice');
    const bob = await join(two.wsUrl, 'bob');
    users.push(alice, bob);
    const both = [
      { id: 'alice', uuid: alice.uuid },
      { id: 'bob', uuid: bob.uuid },
    ];
    for (const sample of samples) expect(await onlineUsers(sample)).toEqual(both);

    await bob.client.close();
    // Alice hears that bob left (from bob's node); by then his node has left his room too.
    for (let message = await alice.client.next(); !message.text.includes('user-left');) {
      message = await alice.client.next();
    }
    const seen = await onlineUsers(one);
    expect(seen).toEqual([{ id: 'alice', uuid: alice.uuid }]);
    expect(await onlineUsers(two)).toEqual([{ id: 'alice', uuid: alice.uuid }]);
  });
});
