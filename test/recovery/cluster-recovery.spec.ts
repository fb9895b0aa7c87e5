import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KwsClient } from '../../src/client/index.js';
import { KwsEvent, type KwsServer } from '../../src/index.js';
import { waitForState } from '../../src/testing/index.js';
import { testRedisUrl } from '../helpers/redis-server.js';
import { connect, eventually } from '../helpers/ws-client.js';
import { openCuttable } from './cuttable-client.js';
import { startRecoveryNode, startRecoveryProcess } from './recovery-nodes.js';

interface Who {
  uuid: string;
  attributes: Record<string, unknown>;
  rooms: string[];
}

describe('connection-state recovery across nodes (Redis)', () => {
  let redis: { url: string; stop(): Promise<void> };
  let keyPrefix: string;
  const stops: Array<() => Promise<void>> = [];
  const clients: KwsClient[] = [];

  beforeEach(async () => {
    redis = await testRedisUrl();
    keyPrefix = `kws-test-${randomUUID()}`;
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(stops.splice(0).map((stop) => stop().catch(() => undefined)));
    await redis.stop();
  });

  async function node(maxDisconnection?: number) {
    const started = await startRecoveryNode({ redis: redis.url, keyPrefix }, maxDisconnection);
    stops.push(started.stop);
    return started;
  }

  /** The shipped client on `port`; `cuttable.port` sends its next connections elsewhere. */
  async function open(port: number) {
    const opened = await openCuttable(`ws://127.0.0.1:${port}/ws`, clients);
    const { client } = opened;
    await client.request('join', 'room-1');
    await client.request('set', { key: 'name', value: 'ann' });
    const who = (await client.request('whoami', undefined)) as Who;
    return { ...opened, who };
  }

  /** Sends ticks 1, 2... alternately to the uuid and to its room, from `senders` in turn. */
  function emitTicks(senders: KwsServer[], uuid: string) {
    const delivered: number[] = [];
    let stopped = false;
    let n = 0;
    const done = (async () => {
      while (!stopped) {
        const tick = ++n;
        const sender = senders[tick % senders.length];
        const sent =
          tick % 2
            ? sender.emitTo(uuid, { event: 'tick', data: tick })
            : sender.broadcastTo('room-1', { event: 'tick', data: tick });
        // A tick the cluster refused (no live holder for a moment) was never sent: not expected.
        if (
          await sent.then(
            () => true,
            () => false,
          )
        )
          delivered.push(tick);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    return {
      delivered,
      stop: async () => {
        stopped = true;
        await done;
      },
    };
  }

  /**
   * Ticks `a` from `senders` until 20 arrived, runs `move` (cut or kill: the client reconnects to
   * another node), then checks the resumed session got every delivered tick once and in order
   * and kept its uuid, attributes and rooms.
   */
  async function resumeWhileTicking(
    a: Awaited<ReturnType<typeof open>>,
    senders: KwsServer[],
    move: () => Promise<void>,
  ): Promise<void> {
    const ticks = emitTicks(senders, a.who.uuid);
    await eventually(
      () => a.ticks.length,
      (n) => n >= 20,
      10_000,
    );

    await move();
    await eventually(
      () => a.sessions.length,
      (n) => n === 2,
      10_000,
    );
    const resumedAt = ticks.delivered.length;
    await eventually(
      () => a.ticks.length,
      (n) => n >= resumedAt + 20,
      10_000,
    );
    await ticks.stop();

    expect(a.sessions[1]).toEqual({ uuid: a.who.uuid, recovered: true });
    expect(
      await eventually(
        () => a.ticks,
        (got) => got.length >= ticks.delivered.length,
        10_000,
      ),
    ).toEqual(ticks.delivered);
    expect(await a.client.request('whoami', undefined)).toEqual(a.who);
  }

  it('resumes on another node: same uuid, attributes and rooms, every message once and in order, no disconnect on the first node', async () => {
    const first = await node();
    const second = await node();
    const a = await open(first.port);
    await resumeWhileTicking(a, [first.server, second.server], async () => {
      a.cuttable.port = second.port; // the balancer sends the reconnect to the other node
      a.cuttable.cut();
      await waitForState(a.client, 'reconnecting');
    });
    expect(second.server.get(a.who.uuid)).toBeDefined();
    // The first node let it go without a disconnect; the second saw a resume, not a connect.
    await eventually(
      () => first.server.get(a.who.uuid),
      (kws) => kws === undefined,
    );
    expect(first.log.of(a.who.uuid, KwsEvent.Disconnect)).toHaveLength(0);
    expect(second.log.of(a.who.uuid, KwsEvent.Connect)).toHaveLength(0);
    expect(second.log.of(a.who.uuid, KwsEvent.Resume)).toHaveLength(1);
    // Sends to the uuid now reach it on the second node, from either node.
    await first.server.emitTo(a.who.uuid, { event: 'tick', data: -1 });
    expect(
      await eventually(
        () => a.ticks.at(-1),
        (last) => last === -1,
      ),
    ).toBe(-1);
  });

  it('a token is single use across the cluster, and a forged one gets a fresh session on any node', async () => {
    const first = await node();
    const second = await node();
    const sessionOf = async (port: number, query: string) => {
      const client = await connect(`ws://127.0.0.1:${port}/ws${query}`);
      const packet = JSON.parse((await client.next()).text) as {
        session: { token: string; recovered: boolean; uuid: string };
      };
      return { client, ...packet.session };
    };
    const original = await sessionOf(first.port, '');
    original.client.socket.terminate();
    await eventually(
      () => first.server.get(original.uuid)?.isAlive(),
      (alive) => alive === false,
    );
    const resume = `?kws_resume=${original.token}&kws_offset=`;
    const moved = await sessionOf(second.port, resume);
    expect(moved).toMatchObject({ recovered: true, uuid: original.uuid });
    const reused = await sessionOf(first.port, resume);
    expect(reused.recovered).toBe(false);
    expect(reused.uuid).not.toBe(original.uuid);
    const forged = await sessionOf(second.port, `?kws_resume=${'A'.repeat(32)}&kws_offset=`);
    expect(forged.recovered).toBe(false);
    for (const client of [moved, reused, forged]) client.client.socket.terminate();
  });

  it('a broadcast costs one Redis command (one XADD, no publish script), however many nodes and clients', async () => {
    const first = await node();
    const second = await node();
    const clients = [await open(first.port), await open(second.port), await open(second.port)];
    const stats = new Redis(redis.url);
    const calls = async (): Promise<Record<string, number>> => {
      const info = await stats.info('commandstats');
      return Object.fromEntries(
        Array.from(info.matchAll(/cmdstat_(\w+):calls=(\d+)/g), ([, name, n]) => [name, Number(n)]),
      );
    };
    try {
      const before = await calls();
      for (let n = 1; n <= 5; n++) await first.server.broadcast({ event: 'tick', data: n });
      for (const client of clients) {
        expect(
          await eventually(
            () => client.ticks,
            (got) => got.length === 5,
          ),
        ).toEqual([1, 2, 3, 4, 5]);
      }
      const after = await calls();
      const delta = (name: string): number => (after[name] ?? 0) - (before[name] ?? 0);
      expect(delta('xadd')).toBe(5);
      expect(delta('publish')).toBe(0);
    } finally {
      stats.disconnect();
    }
  });

  it('resumes on another node after the first was killed with SIGKILL', async () => {
    const doomed = await startRecoveryProcess(redis.url, keyPrefix);
    stops.push(doomed.stop);
    const survivor = await node();
    const a = await open(doomed.port);
    await resumeWhileTicking(a, [survivor.server], async () => {
      a.cuttable.port = survivor.port;
      await doomed.kill('SIGKILL');
    });
    expect(survivor.log.of(a.who.uuid, KwsEvent.Connect)).toHaveLength(0);
    expect(survivor.log.of(a.who.uuid, KwsEvent.Resume)).toHaveLength(1);
  });
});
