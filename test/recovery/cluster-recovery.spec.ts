import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KwsClient } from '../../src/client/index.js';
import { KwsEvent, KwsInvalidConnectionError, type KwsServer } from '../../src/index.js';
import { TAKE } from '../../src/cluster/recovery/recovery.scripts.js';
import { waitForState } from '../../src/testing/index.js';
import { startTopology, TOPOLOGIES, type TestTopology } from '../cluster/topologies.js';
import { TestRedisCluster } from '../helpers/redis-cluster.js';
import { redisCli } from '../helpers/redis-processes.js';
import { WebSocket } from 'ws';
import { connect, eventually, TestClient } from '../helpers/ws-client.js';
import { openCuttable } from './cuttable-client.js';
import { startRecoveryNode, startRecoveryProcess } from './recovery-nodes.js';

interface Who {
  uuid: string;
  attributes: Record<string, unknown>;
  rooms: string[];
}

/**
 * Liveness for most tests: a node stalled for a moment on the loaded 2-core machine must not
 * count as dead (its uuids would read as unknown).
 */
const TIMINGS = { heartbeatInterval: 200, nodeTtl: 2_000 };
/** Fast liveness, for the tests that wait for a killed node's uuids to be free. */
const FAST = { heartbeatInterval: 100, nodeTtl: 600 };

/** Polls an async read until `check` passes (or `timeoutMs` ran out); resolves with the last read. */
async function until<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Waits until `server` finds `uuid` in the directory (a registration takes a round trip).
 */
async function known(server: KwsServer, uuid: string): Promise<void> {
  await until(
    () =>
      server.emitTo(uuid, { event: 'noop' }).then(
        () => true,
        () => false,
      ),
    (ok) => ok,
  );
}

/** Runs `use` with a plain connection to the Redis at `url`. */
async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url);
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** Redis' command counts (INFO commandstats), summed over `urls` (every master of a cluster). */
async function commandCalls(urls: readonly string[]): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const url of urls) {
    const info = await withRedis(url, (redis) => redis.info('commandstats'));
    for (const [, name, n] of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) {
      calls[name] = (calls[name] ?? 0) + Number(n);
    }
  }
  return calls;
}

/** The shipped client on `port`; `cuttable.port` sends its next connections elsewhere. */
async function openClient(port: number, clients: KwsClient[]) {
  const opened = await openCuttable(`ws://127.0.0.1:${port}/ws`, clients);
  const { client } = opened;
  await client.request('join', 'room-1');
  await client.request('set', { key: 'name', value: 'ann' });
  const who = (await client.request('whoami', undefined)) as Who;
  return { ...opened, who };
}

/** Sends ticks `first`, `first + 1`... alternately to the uuid and to its room, from `senders` in turn. */
function emitTicks(senders: KwsServer[], uuid: string, first = 1) {
  const delivered: number[] = [];
  let stopped = false;
  let n = first - 1;
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

describe.each(TOPOLOGIES)('connection-state recovery across nodes, on %s', (topology) => {
  let redis: TestTopology;
  let keyPrefix: string;
  const stops: Array<() => Promise<void>> = [];
  const clients: KwsClient[] = [];

  beforeAll(async () => {
    redis = await startTopology(topology);
  }, 60_000);

  afterAll(async () => {
    await redis?.stop();
  });

  beforeEach(() => {
    keyPrefix = `kws-test-${randomUUID()}`;
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(stops.splice(0).map((stop) => stop().catch(() => undefined)));
  });

  /** Where the recovery keys live: one hash tag of their own on Redis Cluster. */
  const recoveryKeys = (): string =>
    topology === 'Redis Cluster' ? `{${keyPrefix}:rs}` : `${keyPrefix}:rs`;

  async function node(timings = TIMINGS) {
    const started = await startRecoveryNode({ redis: redis.redis(), keyPrefix, ...timings });
    stops.push(started.stop);
    return started;
  }

  async function processNode(timings = TIMINGS) {
    const started = await startRecoveryProcess(redis.processUrl, keyPrefix, timings);
    stops.push(started.stop);
    return started;
  }

  const open = (port: number) => openClient(port, clients);

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

  it('a token presented on another node while its owner is connected takes nothing (1013), and the owner keeps its session', async () => {
    const first = await node();
    const second = await node();
    const owner = await connect(`ws://127.0.0.1:${first.port}/ws`);
    const { session } = JSON.parse((await owner.next()).text) as {
      session: { token: string; uuid: string };
    };
    const thief = new TestClient(
      new WebSocket(`ws://127.0.0.1:${second.port}/ws`, [
        'kws',
        `kws-resume.${session.token}`,
        'kws-offset.',
      ]),
    );
    expect(await thief.closed).toEqual({ code: 1013, reason: 'Session in use' });
    expect(thief.received).toHaveLength(0);
    // The owner is still there, on its node, with its uuid.
    await second.server.emitTo(session.uuid, { event: 'still-yours' });
    expect(JSON.parse((await owner.next()).text)).toMatchObject({ event: 'still-yours' });
    expect(first.server.get(session.uuid)?.isAlive()).toBe(true);
    owner.socket.terminate();
  });

  it('a broadcast costs one Redis command (one XADD, no publish script), however many nodes and clients', async () => {
    const first = await node();
    const second = await node();
    const clients = [await open(first.port), await open(second.port), await open(second.port)];
    const before = await commandCalls(redis.masters);
    for (let n = 1; n <= 5; n++) await first.server.broadcast({ event: 'tick', data: n });
    for (const client of clients) {
      expect(
        await eventually(
          () => client.ticks,
          (got) => got.length === 5,
        ),
      ).toEqual([1, 2, 3, 4, 5]);
    }
    const after = await commandCalls(redis.masters);
    const delta = (name: string): number => (after[name] ?? 0) - (before[name] ?? 0);
    expect(delta('xadd')).toBe(5);
    expect(delta('publish')).toBe(0);
    expect(delta('spublish')).toBe(0);
  });

  it("keeps the call order of one node's sends not awaited in between (emitTo and room broadcasts mixed)", async () => {
    const first = await node();
    const second = await node();
    const a = await open(second.port);
    await known(first.server, a.who.uuid);
    const sends: Array<Promise<unknown>> = [];
    for (let n = 1; n <= 40; n++) {
      sends.push(
        n % 2
          ? first.server.emitTo(a.who.uuid, { event: 'tick', data: n })
          : first.server.broadcastTo('room-1', { event: 'tick', data: n }),
      );
    }
    await Promise.all(sends);
    const all = Array.from({ length: 40 }, (_, i) => i + 1);
    expect(
      await eventually(
        () => a.ticks,
        (got) => got.length >= 40,
      ),
    ).toEqual(all);
  });

  it('keeps every recovery key under its own prefix (one hash tag, one master, on Redis Cluster)', async () => {
    const first = await node();
    const second = await node();
    const a = await open(first.port);
    await open(second.port);
    await known(second.server, a.who.uuid);
    await second.server.emitTo(a.who.uuid, { event: 'tick', data: 1 });
    await eventually(
      () => a.ticks.length,
      (n) => n === 1,
    );
    const rs = recoveryKeys();
    const home = await redis.masterOf(`${rs}:log`);
    const [log, tokens] = await withRedis(home, async (master) => [
      await master.xlen(`${rs}:log`),
      await master.keys(`${rs}:tok:*`),
    ]);
    expect(log).toBeGreaterThanOrEqual(1);
    expect(tokens).toHaveLength(2);
    // Nothing of recovery anywhere else; on Redis Cluster every key of the app has a hash tag:
    // the recovery one, or one of the directory's shards.
    for (const url of redis.masters) {
      const keys = await withRedis(url, (master) => master.keys(`*${keyPrefix}*`));
      const recovery = keys.filter((key) => key.startsWith(rs));
      expect(recovery.length > 0).toBe(url === home);
      if (topology === 'Redis Cluster') {
        const tagged = new RegExp(`^\\{${keyPrefix}:(rs|\\d+)\\}:`);
        expect(keys.filter((key) => !tagged.test(key))).toEqual([]);
      }
    }
  });

  it("goes on after the nodes' log readers lose their Redis connection: nothing lost, nothing twice", async () => {
    const first = await node();
    const second = await node();
    const a = await open(first.port);
    const ticks = emitTicks([first.server, second.server], a.who.uuid);
    await eventually(
      () => a.ticks.length,
      (n) => n >= 20,
      10_000,
    );
    // Each node's reader is the connection whose last command was XREAD on the log's master.
    const home = await redis.masterOf(`${recoveryKeys()}:log`);
    const killed = await withRedis(home, async (master) => {
      const readers = await until(
        async () =>
          ((await master.client('LIST')) as string)
            .split('\n')
            .filter((line) => / cmd=xread /.test(line))
            .map((line) => /^id=(\d+)/.exec(line)![1]),
        (ids) => ids.length === 2,
      );
      for (const id of readers) await master.client('KILL', 'ID', id);
      return readers.length;
    });
    expect(killed).toBe(2);
    const killedAt = ticks.delivered.length;
    await eventually(
      () => a.ticks.length,
      (n) => n >= killedAt + 20,
      10_000,
    );
    await ticks.stop();
    expect(
      await eventually(
        () => a.ticks,
        (got) => got.length >= ticks.delivered.length,
        10_000,
      ),
    ).toEqual(ticks.delivered);
  });

  it('resumes on another node after the first was killed with SIGKILL', async () => {
    const doomed = await processNode();
    const survivor = await node();
    const a = await open(doomed.port);
    await resumeWhileTicking(a, [survivor.server], async () => {
      a.cuttable.port = survivor.port;
      await doomed.kill('SIGKILL');
    });
    expect(survivor.log.of(a.who.uuid, KwsEvent.Connect)).toHaveLength(0);
    expect(survivor.log.of(a.who.uuid, KwsEvent.Resume)).toHaveLength(1);
  });

  it('a node that takes a session and dies before moving its uuid: the old node moves it, and the uuid is free', async () => {
    const holder = await node();
    const other = await node();
    const a = await open(holder.port);
    const b = await open(other.port);
    a.cuttable.port = 1; // its reconnects go nowhere: the session stays suspended on the holder
    a.cuttable.cut();
    await eventually(
      () => holder.server.get(a.who.uuid)?.isAlive(),
      (alive) => alive === false,
    );
    // The test is the taking node: it runs the first step (TAKE, as a node 'ghost' that never
    // joined, i.e. a dead one) and no second step, as if it died in between.
    const rs = recoveryKeys();
    const home = await redis.masterOf(`${rs}:log`);
    await withRedis(home, async (master) => {
      let token: string | undefined;
      for (const key of await master.keys(`${rs}:tok:*`)) {
        if ((await master.hget(key, 'u')) === a.who.uuid) token = key.slice(`${rs}:tok:`.length);
      }
      const d = topology === 'Redis Cluster' ? '' : keyPrefix;
      const key = `${rs}:tok:${token}`;
      // With the directory (standalone Redis), TAKE declares its keys too.
      const keys = d ? [key, `${rs}:log`, `${d}:dir`, `${d}:conns:ghost`] : [key, `${rs}:log`];
      const taken = await master.eval(
        TAKE,
        keys.length,
        ...keys,
        rs,
        token!,
        'ghost',
        10_000,
        '',
        d,
      );
      expect(Array.isArray(taken)).toBe(true);
    });
    // The holder lets the session go without a disconnect, and moves the uuid to the taker, which
    // is dead: the uuid reads as unknown everywhere, and another connection may take it.
    await eventually(
      () => holder.server.get(a.who.uuid),
      (kws) => kws === undefined,
    );
    expect(holder.log.of(a.who.uuid, KwsEvent.Disconnect)).toHaveLength(0);
    const refused = await until(
      () =>
        other.server.emitTo(a.who.uuid, { event: 'tick', data: 1 }).then(
          () => undefined,
          (error: unknown) => error,
        ),
      (error) => error instanceof KwsInvalidConnectionError,
      1_000,
    );
    expect(refused).toBeInstanceOf(KwsInvalidConnectionError);
    const kws = other.server.get(b.who.uuid)!;
    await kws.setUUID(a.who.uuid);
    expect(kws.uuid).toBe(a.who.uuid);
  });

  it('a resume whose uuid another connection claimed meanwhile (its node had died) gets a fresh session', async () => {
    const doomed = await processNode(FAST);
    const survivor = await node(FAST);
    const third = await node(FAST);
    const [a, b] = [await open(doomed.port), await open(doomed.port)];
    const [takerOfA, takerOfB] = [await open(survivor.port), await open(survivor.port)];
    await doomed.kill('SIGKILL');
    // Once the dead node's liveness expired, its uuids are free: other connections take them.
    for (const [taker, victim] of [
      [takerOfA, a],
      [takerOfB, b],
    ] as const) {
      const kws = survivor.server.get(taker.who.uuid)!;
      await until(
        () =>
          kws.setUUID(victim.who.uuid).then(
            () => true,
            () => false,
          ),
        (done) => done,
      );
      expect(kws.uuid).toBe(victim.who.uuid);
    }
    // `a` resumes on the node holding its uuid on another connection, `b` on a third node.
    a.cuttable.port = survivor.port;
    b.cuttable.port = third.port;
    for (const [client, taker, sender] of [
      [a, takerOfA, third],
      [b, takerOfB, survivor],
    ] as const) {
      await eventually(
        () => client.sessions.length,
        (n) => n === 2,
        10_000,
      );
      expect(client.sessions[1].recovered).toBe(false);
      expect(client.sessions[1].uuid).not.toBe(client.who.uuid);
      // The uuid stays with the connection that claimed it, for every node.
      await sender.server.emitTo(client.who.uuid, { event: 'tick', data: 7 });
      expect(
        await eventually(
          () => taker.ticks,
          (got) => got.includes(7),
        ),
      ).toEqual([7]);
      expect(client.ticks).toEqual([]);
    }
    expect(survivor.server.get(a.who.uuid)?.uuid).toBe(a.who.uuid);
  });
});

/**
 * The master holding the recovery log crashes and its replica takes over (Redis Cluster with a
 * replica per master). The log was replicated before the crash (the test waits for it: what a
 * crash loses of a log that was not, replication being asynchronous, is in docs/recovery.md).
 */
describe('connection-state recovery across a Redis Cluster failover', () => {
  let redis: TestRedisCluster;
  const templates: Cluster[] = [];
  const stops: Array<() => Promise<void>> = [];
  const clients: KwsClient[] = [];
  const keyPrefix = `kws-test-${randomUUID()}`;

  beforeAll(async () => {
    redis = await TestRedisCluster.start({ replicas: true });
  }, 60_000);

  afterAll(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(stops.splice(0).map((stop) => stop().catch(() => undefined)));
    for (const template of templates) template.disconnect();
    await redis?.stop();
  });

  async function node() {
    const template = new Cluster(redis.nodes.slice(0, 3), { lazyConnect: true });
    templates.push(template);
    const started = await startRecoveryNode({
      redis: template,
      keyPrefix,
      heartbeatInterval: 200,
      nodeTtl: 2_000,
      requestTimeout: 1_000,
    });
    stops.push(started.stop);
    return started;
  }

  it('the nodes read on from their last id on the promoted replica, and a session resumes after it', async () => {
    const first = await node();
    const second = await node();
    const a = await openClient(first.port, clients);
    const before = emitTicks([first.server, second.server], a.who.uuid);
    await eventually(
      () => a.ticks.length,
      (n) => n >= 20,
      10_000,
    );
    await before.stop();
    const log = `{${keyPrefix}:rs}:log`;
    const master = await redis.masterOf(log);
    // Its replica has everything (replication is asynchronous: a crash may lose the last writes).
    await until(
      async () => {
        const info = await redisCli(master, 'INFO', 'replication');
        const offset = /master_repl_offset:(\d+)/.exec(info)?.[1];
        return /slave0:.*offset=(\d+)/.exec(info)?.[1] === offset;
      },
      (synced) => synced,
    );
    await redis.kill(master);

    // Ticks sent during the failover fail (not counted); once the replica serves the log, ticks
    // flow again, read from where each node stopped.
    const after = emitTicks([first.server, second.server], a.who.uuid, 100_000);
    await eventually(
      () => after.delivered.length,
      (n) => n >= 20,
      30_000,
    );
    const ok = before.delivered.length;
    await eventually(
      () => a.ticks.length,
      (n) => n >= ok + 20,
      10_000,
    );
    // The session moves to the other node, its offset read from the promoted replica's log.
    a.cuttable.port = second.port;
    a.cuttable.cut();
    await eventually(
      () => a.sessions.length,
      (n) => n === 2,
      10_000,
    );
    await after.stop();
    expect(a.sessions[1]).toEqual({ uuid: a.who.uuid, recovered: true });
    const delivered = [...before.delivered, ...after.delivered];
    const got = await eventually(
      () => a.ticks,
      (ticks) => delivered.every((tick) => ticks.includes(tick)),
      10_000,
    );
    // In order and once: a tick whose send failed with its outcome unknown may be there too.
    expect(got).toEqual([...got].sort((x, y) => x - y));
    expect(new Set(got).size).toBe(got.length);
    expect(delivered.filter((tick) => !got.includes(tick))).toEqual([]);
  }, 60_000);
});
