import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KwsClient } from '../../src/client/index.js';
import type { KwsServer } from '../../src/index.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { TestRedis } from '../helpers/redis-server.js';
import { eventually } from '../helpers/ws-client.js';
import { openCuttable } from './cuttable-client.js';
import { startRecoveryNode } from './recovery-nodes.js';

const TIMINGS = { heartbeatInterval: 200, nodeTtl: 2_000, requestTimeout: 1_000 };

/**
 * With recovery on, a send is one command that writes the cluster's log (XADD, or the script
 * that looks the uuids up and logs). When that command ran and its reply was lost, the message
 * was delivered: the caller must hear "outcome unknown", never "not sent".
 */
describe('recovery log writes whose reply is lost', () => {
  let redis: TestRedis;
  let proxy: FaultProxy;
  const stops: Array<() => Promise<void>> = [];
  const clients: KwsClient[] = [];

  beforeEach(async () => {
    redis = await TestRedis.start();
    proxy = await FaultProxy.start(redis.port);
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(stops.splice(0).map((stop) => stop()));
    await proxy.stop();
    await redis.stop();
  });

  /** Node A reaches Redis through the proxy, node B directly; a client on B. */
  async function twoNodes() {
    const keyPrefix = `kws-test-${randomUUID()}`;
    const a = await startRecoveryNode({ redis: proxy.url, keyPrefix, ...TIMINGS });
    stops.push(a.stop);
    const b = await startRecoveryNode({ redis: redis.url, keyPrefix, ...TIMINGS });
    stops.push(b.stop);
    const b1 = await openCuttable(`ws://127.0.0.1:${b.port}/ws`, clients);
    const { uuid } = (await b1.client.request('whoami', undefined)) as { uuid: string };
    await sendUntilOk(() => a.server.emitTo(uuid, { event: 'tick', data: 1 }));
    await eventually(
      () => b1.ticks.length,
      (n) => n === 1,
    );
    return { server: a.server, b1, uuid };
  }

  /** Arms every command connection of node A: the one that writes `marker` loses its reply. */
  function loseReplyOf(marker: string): Promise<void> {
    const armed = proxy.open().filter((connection) => !connection.isSubscriber);
    return Promise.race(armed.map((connection) => connection.dropAfter(marker)));
  }

  async function check(send: (server: KwsServer, uuid: string, n: number) => Promise<unknown>) {
    const { server, b1, uuid } = await twoNodes();
    const cut = loseReplyOf('"lost-reply"');
    const error = await send(server, uuid, 2).then(
      () => 'ok',
      (failure: Error) => failure.name,
    );
    await cut;
    expect(error).toBe('KwsOutcomeUnknownError');
    // Once A has reconnected, a last send marks the end: a re-sent copy would come before it.
    await sendUntilOk(() => send(server, uuid, 3));
    expect(
      await eventually(
        () => b1.ticks,
        (got) => got.length >= 3,
      ),
    ).toEqual([1, 'lost-reply', 3]);
  }

  it('a broadcast whose XADD ran: outcome unknown, delivered once', async () => {
    await check((server, _uuid, n) => server.broadcast({ event: 'tick', data: tick(n) }));
  });

  it('an emitTo whose log script ran: outcome unknown, delivered once', async () => {
    await check((server, uuid, n) => server.emitTo(uuid, { event: 'tick', data: tick(n) }));
  });
});

/** Tick 2 carries the marker the proxy watches for. */
function tick(n: number): number | string {
  return n === 2 ? 'lost-reply' : n;
}

async function sendUntilOk(send: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await send().then(
      () => true,
      () => false,
    );
    if (ok || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
