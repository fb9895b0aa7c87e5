import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KwsClient } from '../../src/client/index.js';
import { TestRedis } from '../helpers/redis-server.js';
import { eventually } from '../helpers/ws-client.js';
import { openCuttable } from './cuttable-client.js';
import { startRecoveryNode, startRecoveryProcess } from './recovery-nodes.js';

/** Broadcasts in the burst, 64 KB each: far past the 256 KB pub/sub limit of the Redis below. */
const BURST = 64;

/**
 * With recovery on, recoverable events do not travel by pub/sub: every node reads them from the
 * cluster's log. A node whose event loop is blocked during a burst (the case where Redis drops a
 * pub/sub subscriber with messages queued) reads on from its last id once it is free: its
 * clients get every event, once and in order.
 */
describe('a busy node with recovery', () => {
  let redis: TestRedis;
  const stops: Array<() => Promise<void>> = [];
  const clients: KwsClient[] = [];

  beforeAll(async () => {
    redis = await TestRedis.start(['--client-output-buffer-limit', 'pubsub 256kb 0 0']);
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all(stops.map((stop) => stop()));
    await redis?.stop();
  });

  it('catches up from the log: every event of the burst, once and in order', async () => {
    const keyPrefix = `kws-test-${randomUUID()}`;
    const timings = { heartbeatInterval: 200, nodeTtl: 4_000 };
    const a = await startRecoveryNode({ redis: redis.url, keyPrefix, ...timings });
    stops.push(a.stop);
    const b = await startRecoveryProcess(redis.url, keyPrefix, timings);
    stops.push(b.stop);
    const b1 = await openCuttable(`ws://127.0.0.1:${b.port}/ws`, clients);
    await a.server.broadcast({ event: 'tick', data: 'warm' });
    await eventually(
      () => b1.ticks.length,
      (n) => n === 1,
    );

    const blocked = b1.client.request('block', 2_000, { timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const chunk = 'x'.repeat(64 * 1024);
    const answers = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        a.server.broadcast({ event: 'tick', data: `${i} ${chunk}` }).then(
          () => 'ok',
          (e: Error) => e.name,
        ),
      ),
    );
    expect(await blocked).toBe('ok');
    expect(answers.every((answer) => answer === 'ok')).toBe(true);
    const got = await eventually(
      () => b1.ticks,
      (ticks) => ticks.length >= BURST + 1,
      15_000,
    );
    const burst = (got.slice(1) as unknown as string[]).map((tick) =>
      Number(tick.slice(0, tick.indexOf(' '))),
    );
    expect(burst).toEqual(Array.from({ length: BURST }, (_, i) => i));
  }, 60_000);
});
