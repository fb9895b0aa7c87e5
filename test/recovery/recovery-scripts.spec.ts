import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOG_TO, MOVE, SAVE, TAKE, UNKNOWN } from '../../src/cluster/recovery/recovery.scripts.js';
import { TestRedis } from '../helpers/redis-server.js';
import { expectDeclared, ScriptKeys } from '../helpers/script-keys.js';

/**
 * Each recovery script run directly against a real Redis (EVAL, no Nest app), asserting the
 * contract its file's header states. `r` is the recovery prefix, `d` the directory prefix; every
 * test has its own. Every call also checks, from MONITOR, that the script declared each key it
 * could know before the call.
 */
describe('recovery scripts', () => {
  let redis: TestRedis;
  let admin: Redis;
  let tests = 0;
  let r = '';
  let d = '';
  const tok = (token: string) => `${r}:tok:${token}`;
  const log = () => `${r}:log`;
  let watch: ScriptKeys;
  /**
   * EVAL with the declared `keys`; also checks that every other key the script touched is a
   * directory key it can only find while it runs (a uuid holder's liveness or uuid set).
   */
  const call = async (lua: string, keys: string[], ...args: Array<string | number>) => {
    const touched = await watch.touchedBy(() => admin.eval(lua, keys.length, ...keys, ...args));
    expectDeclared(touched.keys, keys, d, /^(alive|conns):/);
    return touched.result;
  };
  const save = (
    token: string,
    previous: string,
    uuid: string,
    node = 'n1',
    suspended = '',
    requests = '',
  ) =>
    call(
      SAVE,
      previous ? [tok(token), tok(previous)] : [tok(token)],
      r,
      token,
      previous,
      uuid,
      '{"k":1}',
      '["room"]',
      60_000,
      node,
      suspended,
      requests,
    );
  const take = (token: string, node: string, offset = '', directory = d) =>
    call(
      TAKE,
      directory ? [tok(token), log(), `${d}:dir`, `${d}:conns:${node}`] : [tok(token), log()],
      r,
      token,
      node,
      1_000,
      offset,
      directory,
    );
  const holds = (uuid: string, node: string) =>
    Promise.all([admin.hset(`${d}:dir`, uuid, node), admin.sadd(`${d}:conns:${node}`, uuid)]);
  const live = (...nodes: string[]) =>
    Promise.all(nodes.map((node) => admin.set(`${d}:alive:${node}`, '1', 'PX', 60_000)));

  beforeAll(async () => {
    redis = await TestRedis.start();
    admin = new Redis(redis.url);
    watch = await ScriptKeys.watch(redis.url);
  });

  beforeEach(() => {
    tests++;
    r = `t${tests}:rs`;
    d = `t${tests}`;
  });

  afterAll(async () => {
    watch?.close();
    admin?.disconnect();
    await redis?.stop();
  });

  it('SAVE writes the snapshot with a TTL, keeps its start across saves and takes over a previous token', async () => {
    expect(await save('a', '', 'u1')).toBe(1);
    const first = await admin.hgetall(tok('a'));
    expect(first).toMatchObject({ u: 'u1', a: '{"k":1}', r: '["room"]', n: 'n1', z: '' });
    expect(Number(first.s)).toBeGreaterThan(1_600_000_000_000); // ms, from Redis' clock
    expect(await admin.pttl(tok('a'))).toBeGreaterThan(0);
    // A new token (the client got a fresh one) inherits the start and deletes the previous.
    await save('b', 'a', 'u1', 'n1', '1');
    expect(await admin.exists(tok('a'))).toBe(0);
    expect(await admin.hgetall(tok('b'))).toMatchObject({ s: first.s, z: '1' });
    await save('b', '', 'u1');
    expect((await admin.hgetall(tok('b'))).s).toBe(first.s);
  });

  it('SAVE keeps the rid window (q) of a suspension; a later save without one removes it', async () => {
    await save('a', '', 'u1', 'n1', '1', '[[7,"t","{}"]]');
    expect(await admin.hget(tok('a'), 'q')).toBe('[[7,"t","{}"]]');
    await save('a', '', 'u1');
    expect(await admin.hexists(tok('a'), 'q')).toBe(0);
  });

  it('LOG_TO logs to the uuids with a live holder and returns the others; nothing is logged when none has one', async () => {
    await live('n1');
    await holds('a', 'n1');
    await holds('b', 'dead');
    const args = (...uuids: string[]) => [1_000, 'packet', '1', ...uuids];
    expect(await call(LOG_TO, [log(), `${d}:dir`], d, ...args('a', 'b', 'c'))).toEqual(['b', 'c']);
    const entries = await admin.xrange(log(), '-', '+');
    expect(entries).toHaveLength(1);
    expect(entries[0][1]).toEqual(['k', 't', 'u', '["a"]', 'd', 'packet', 'bin', '1']);
    expect(await call(LOG_TO, [log(), `${d}:dir`], d, ...args('b', 'c'))).toEqual(['b', 'c']);
    expect(await admin.xlen(log())).toBe(1);
  });

  it('UNKNOWN returns the uuids no live node holds', async () => {
    await live('n1');
    await holds('a', 'n1');
    await holds('b', 'dead');
    expect(await call(UNKNOWN, [`${d}:dir`], d, 'a', 'b', 'c')).toEqual(['b', 'c']);
    expect(await call(UNKNOWN, [`${d}:dir`], d)).toEqual([]);
  });

  it('TAKE takes a session once, logs a moved entry and moves its uuid in the directory', async () => {
    await live('n1', 'n2');
    await holds('u1', 'n1');
    await save('tok', '', 'u1', 'n1', '1');
    const started = (await admin.hgetall(tok('tok'))).s;
    const taken = (await take('tok', 'n2')) as string[];
    expect(taken).toEqual(['u1', '{"k":1}', '["room"]', started, expect.any(String), 'n1', '']);
    const entries = await admin.xrange(log(), '-', '+');
    expect(entries).toEqual([[taken[4], ['k', 'x', 'u', 'u1', 'n', 'n2', 'f', 'n1']]]);
    expect(await admin.hget(`${d}:dir`, 'u1')).toBe('n2');
    expect(await admin.smembers(`${d}:conns:n2`)).toEqual(['u1']);
    expect(await admin.exists(`${d}:conns:n1`)).toBe(0);
    // Single use.
    expect(await admin.exists(tok('tok'))).toBe(0);
    expect(await take('tok', 'n2')).toBeNull();
    expect(await take('never-saved', 'n2')).toBeNull();
  });

  it('TAKE returns the rid window (q) saved with the suspension', async () => {
    await live('n1', 'n2');
    await holds('u1', 'n1');
    await save('tok', '', 'u1', 'n1', '1', '[[3,"r","n1"]]');
    const taken = (await take('tok', 'n2')) as string[];
    expect(taken[6]).toBe('[[3,"r","n1"]]');
  });

  it('TAKE answers gap (nothing taken) when the offset left the log, and leaves the directory to MOVE without d', async () => {
    await live('n1', 'n2');
    await holds('u1', 'n1');
    const kept = await admin.xadd(log(), '*', 'k', 'b', 'd', 'x');
    await save('tok', '', 'u1', 'n1', '1');
    expect(await take('tok', 'n2', '1-1')).toBe('gap');
    expect(await admin.exists(tok('tok'))).toBe(1);
    // An offset still in the log; '' for d (Redis Cluster): the directory is not touched.
    const taken = (await take('tok', 'n2', kept!, '')) as string[];
    expect(taken[0]).toBe('u1');
    expect(await admin.hget(`${d}:dir`, 'u1')).toBe('n1');
  });

  it('TAKE takes nothing (nil) when another live node claimed the uuid after its holder died', async () => {
    await live('n2', 'n3');
    await holds('u1', 'n3');
    await save('tok', '', 'u1', 'dead', '1');
    expect(await take('tok', 'n2')).toBeNull();
    expect(await admin.exists(tok('tok'))).toBe(1);
    expect(await admin.xlen(log())).toBe(0);
    expect(await admin.hget(`${d}:dir`, 'u1')).toBe('n3');
  });

  it('MOVE moves a uuid (1) unless a live node other than `from` holds it (0)', async () => {
    const move = (uuid: string, to: string, from: string) =>
      call(MOVE, [`${d}:dir`, `${d}:conns:${to}`], d, uuid, to, from);
    await live('n1', 'n2', 'n3');
    await holds('a', 'n1');
    expect(await move('a', 'n2', 'n3')).toBe(0);
    expect(await admin.hget(`${d}:dir`, 'a')).toBe('n1');
    expect(await move('a', 'n2', 'n1')).toBe(1);
    expect(await admin.hget(`${d}:dir`, 'a')).toBe('n2');
    expect(await admin.smembers(`${d}:conns:n2`)).toEqual(['a']);
    expect(await admin.sismember(`${d}:conns:n1`, 'a')).toBe(0);
    // Run twice (by the taker and by the old node): the second is a no-op success.
    expect(await move('a', 'n2', 'n1')).toBe(1);
    // A dead holder, or '' for any holder, and a uuid nobody holds.
    await holds('b', 'dead');
    expect(await move('b', 'n3', 'n1')).toBe(1);
    expect(await move('a', 'n3', '')).toBe(1);
    expect(await move('fresh', 'n1', 'n2')).toBe(1);
    expect(await admin.hgetall(`${d}:dir`)).toEqual({ a: 'n3', b: 'n3', fresh: 'n1' });
  });
});
