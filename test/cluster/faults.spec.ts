import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { TestRedis } from '../helpers/redis-server.js';
import { eventually, eventuallyAsync } from '../helpers/ws-client.js';
import { askUntil, ClusterClient } from './cluster-client.js';
import { startInProcessNode } from './cluster-nodes.js';

/** Small timings so that every fault heals within a second or two. */
const TIMINGS = { heartbeatInterval: 100, nodeTtl: 600, requestTimeout: 500 };

/**
 * Faults injected between a node and Redis by a real TCP proxy: node A reaches Redis through it,
 * node B directly (or B through it, for subscriber faults). Each case asserts what docs/cluster.md
 * promises: a message is delivered at most once, never re-sent, and the caller gets an error
 * that says what happened.
 */
describe('cluster faults between a node and Redis', () => {
  let redis: TestRedis;
  let proxy: FaultProxy;
  let admin: Redis;
  let keyPrefix: string;
  const stops: Array<() => Promise<void>> = [];
  const clients: ClusterClient[] = [];

  beforeEach(async () => {
    redis = await TestRedis.start();
    proxy = await FaultProxy.start(redis.port);
    admin = new Redis(redis.url);
    keyPrefix = `kws-test-${randomUUID()}`;
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.terminate();
    await Promise.all(stops.splice(0).map((stop) => stop()));
    admin.disconnect();
    await proxy.stop();
    await redis.stop();
  });

  /** Node `behind` reaches Redis through the proxy, the other directly; one client on each. */
  async function twoNodes(behind: 'a' | 'b') {
    const through = { redis: proxy.url, keyPrefix, ...TIMINGS };
    const direct = { redis: redis.url, keyPrefix, ...TIMINGS };
    const a = await startInProcessNode(behind === 'a' ? through : direct);
    stops.push(a.stop);
    const b = await startInProcessNode(behind === 'b' ? through : direct);
    stops.push(b.stop);
    const a1 = await ClusterClient.open(a.url);
    const b1 = await ClusterClient.open(b.url);
    clients.push(a1, b1);
    expect(await askUntil(a1, 'count', (n) => n === '2')).toBe('2');
    // Loads the scripts in Redis, so the commands below run as EVALSHA the first time.
    expect(await a1.ask('broadcast warm')).toBe('ok');
    expect(await b1.waitForMessages(1)).toEqual(['warm']);
    return { a, b, a1, b1, b1Id: await b1.ask('whoami') };
  }

  it('a broadcast whose reply is lost is delivered once, not re-sent, and its outcome is reported unknown', async () => {
    const { a1, b1 } = await twoNodes('a');
    const cut = proxy.commands()!.dropAfter('lost-reply');
    expect(await a1.ask('broadcast lost-reply')).toBe('KwsOutcomeUnknownError');
    await cut;
    // Once A has reconnected, a last broadcast marks the end: a re-sent copy would come before it.
    expect(await askUntil(a1, 'broadcast end', (answer) => answer === 'ok')).toBe('ok');
    expect(await b1.waitForMessages(3)).toEqual(['warm', 'lost-reply', 'end']);
  });

  it('an emitTo whose reply is lost is delivered once, not re-sent, and its outcome is reported unknown', async () => {
    const { a1, b1, b1Id } = await twoNodes('a');
    const cut = proxy.commands()!.dropAfter('lost-emit');
    expect(await a1.ask(`emitto ${b1Id} lost-emit`)).toBe('KwsOutcomeUnknownError');
    await cut;
    expect(await askUntil(a1, `emitto ${b1Id} end`, (answer) => answer === 'ok')).toBe('ok');
    expect(await b1.waitForMessages(3)).toEqual(['warm', 'lost-emit', 'end']);
  });

  it('replies delayed past requestTimeout: outcome unknown, delivered once', async () => {
    const { a1, b1, b1Id } = await twoNodes('a');
    proxy.commands()!.delay(3 * TIMINGS.requestTimeout);
    expect(await a1.ask(`emitto ${b1Id} slow`)).toBe('KwsOutcomeUnknownError');
    // Redis ran it at once; only the answer was late.
    expect(await b1.waitForMessages(2)).toEqual(['warm', 'slow']);
    proxy.commands()?.delay(0);
    // Retrying a call whose outcome is unknown could deliver twice: wait with a read instead.
    expect(await askUntil(a1, 'count', (answer) => answer === '2')).toBe('2');
    expect(await a1.ask(`emitto ${b1Id} end`)).toBe('ok');
    expect(await b1.waitForMessages(3)).toEqual(['warm', 'slow', 'end']);
  });

  it('a holder that does not answer in time: outcome unknown, and the late delivery happens once', async () => {
    const { a1, b1, b1Id } = await twoNodes('b');
    // B's subscriber hears nothing for a while (its event loop is blocked, say).
    const stalled = proxy.subscriber()!;
    stalled.stall();
    expect(await a1.ask(`emitto ${b1Id} late`)).toBe('KwsOutcomeUnknownError');
    stalled.resume();
    expect(await askUntil(a1, `emitto ${b1Id} end`, (answer) => answer === 'ok')).toBe('ok');
    expect(await b1.waitForMessages(3)).toEqual(['warm', 'late', 'end']);
  });

  it('a subscription Redis dropped is reported to senders, logged and counted, and healed', async () => {
    const { a1, b, b1, b1Id } = await twoNodes('b');
    // Redis forgets B's subscriber (as its pub/sub output-buffer limit does); B's socket stays
    // open and silent, so B learns of it only by checking. B cannot reconnect for now.
    proxy.refuse(true);
    proxy.subscriber()!.sever();
    // Redis handles the closed socket on its own time: the broadcast goes out once it has.
    const channel = `${keyPrefix}:node:${b.broker.nodeId}`;
    const listening = async () => ((await admin.pubsub('NUMSUB', channel)) as [string, number])[1];
    expect(await eventuallyAsync(listening, (listeners) => listeners === 0)).toBe(0);
    // The sender is told that a live node missed the broadcast, instead of a silent success.
    expect(await a1.ask('broadcast missed')).toBe('KwsBroadcastIncompleteError');
    proxy.refuse(false);
    // B finds out at its next heartbeat, re-subscribes and rejoins.
    await eventually(
      () => b.broker.stats.subscriptionLosses,
      (losses) => losses === 1,
    );
    expect(b.broker.stats.subscriptionLosses).toBe(1);
    expect(await askUntil(a1, 'broadcast healed', (answer) => answer === 'ok')).toBe('ok');
    expect(await askUntil(a1, `emitto ${b1Id} direct`, (answer) => answer === 'ok')).toBe('ok');
    expect(await b1.waitForMessages(3)).toEqual(['warm', 'healed', 'direct']);
  });

  it('a subscriber connection that drops: the node stops counting as alive until it re-subscribes', async () => {
    const { a1, b, b1, b1Id } = await twoNodes('b');
    // Only the subscriber drops, and cannot come back for now.
    proxy.refuse(true);
    proxy.subscriber()!.cut();
    await eventually(
      () => b.broker.stats.subscriptionLosses,
      (losses) => losses === 1,
    );
    // B stops refreshing its liveness: its users are not reported as reachable while unreachable.
    expect(
      await askUntil(a1, `emitto ${b1Id} gone`, (a) => a === 'KwsInvalidConnectionError'),
    ).toBe('KwsInvalidConnectionError');
    expect(await a1.ask('count')).toBe('1');
    proxy.refuse(false);
    expect(await askUntil(a1, `emitto ${b1Id} back`, (answer) => answer === 'ok')).toBe('ok');
    expect(await a1.ask('count')).toBe('2');
    expect(await b1.waitForMessages(2)).toEqual(['warm', 'back']);
  });

  it('a setUUID whose answer arrives with a rejoin leaves the directory and the pool agreeing', async () => {
    const { a, a1, b1 } = await twoNodes('a');
    const oldId = await a1.ask('whoami');
    const name = `erin-${randomUUID()}`;
    // A's liveness lapses, so its next heartbeat rejoins; meanwhile its replies are held, so the
    // setUUID's answer and the heartbeat's arrive in one read.
    const commands = proxy.commands()!;
    commands.stall();
    await admin.del(`${keyPrefix}:alive:${a.broker.nodeId}`);
    const mark = commands.sent.length;
    const answer = a1.ask(`setuuid ${name}`);
    // The setUUID's script and then a heartbeat's have gone out.
    await eventually(
      () => commands.sent.slice(mark).toLowerCase().split('evalsha').length - 1,
      (sent) => sent >= 2,
    );
    commands.resume();
    expect(await answer).toBe('ok');
    expect(await askUntil(b1, `emitto ${name} to-erin`, (reply) => reply === 'ok')).toBe('ok');
    expect(await b1.ask(`emitto ${oldId} to-old`)).toBe('KwsInvalidConnectionError');
    expect(await a1.waitForMessages(2)).toEqual(['warm', 'to-erin']);
    expect(await b1.ask('count')).toBe('2');
  });
});
