import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APPEND, READ } from '../../src/channels/history.scripts.js';
import { TestRedis } from '../helpers/redis-server.js';
import { expectDeclared, ScriptKeys } from '../helpers/script-keys.js';

/**
 * The two history scripts run directly against a real Redis (EVAL, no Nest app), asserting the
 * contract of their files' headers; every call also checks, from MONITOR, that the script touched
 * only the three keys it declares.
 */
describe('channel history scripts', () => {
  let redis: TestRedis;
  let admin: Redis;
  let watch: ScriptKeys;
  let keys: string[] = [];
  let tests = 0;

  const call = async (lua: string, ...args: Array<string | number>) => {
    const touched = await watch.touchedBy(() => admin.eval(lua, 3, ...keys, ...args));
    expectDeclared(touched.keys, keys, 'none', /$^/);
    return touched.result as unknown[];
  };
  const append = (text: string, size = '', minId = '', ttl = '') =>
    call(APPEND, 'epoch-1', JSON.stringify(text), size, minId, ttl);
  const read = (limit: number, since = '', minId = '') => call(READ, minId, since, limit);
  const texts = (entries: unknown) =>
    (entries as Array<[string, string[]]>).map(([, fields]) => JSON.parse(fields[1]) as string);

  beforeAll(async () => {
    redis = await TestRedis.start();
    admin = new Redis(redis.url);
    watch = await ScriptKeys.watch(redis.url);
  });

  beforeEach(() => {
    const tag = `{t${++tests}:ch:room}`;
    keys = [`${tag}:h`, `${tag}:e`, `${tag}:n`];
  });

  afterAll(async () => {
    watch?.close();
    admin?.disconnect();
    await redis?.stop();
  });

  it('APPEND numbers messages without gaps, keeps the first epoch, and trims to size', async () => {
    expect(await append('a', '2')).toEqual(['epoch-1', 1]);
    // A later candidate epoch does not replace the stream's.
    const second = await call(APPEND, 'epoch-2', '"b"', '2', '', '');
    expect(second).toEqual(['epoch-1', 2]);
    expect(await append('c', '2')).toEqual(['epoch-1', 3]);
    expect(await admin.xlen(keys[0])).toBe(2);
    const [epoch, last, kept, entries] = await read(10);
    expect([epoch, last, kept]).toEqual(['epoch-1', 3, 2]);
    expect(texts(entries)).toEqual(['c', 'b']); // newest first
  });

  it('APPEND with a ttl sets it on the three keys, and a MINID drops older entries', async () => {
    await append('old');
    const cut = (await admin.xrange(keys[0], '-', '+'))[0][0];
    const [ms] = cut.split('-');
    await append('new', '', `${Number(ms) + 1}-0`, '60000');
    expect(texts((await read(10))[3])).toEqual(['new']);
    for (const key of keys) {
      const ttl = await admin.pttl(key);
      expect([key, ttl > 0 && ttl <= 60_000]).toEqual([key, true]);
    }
  });

  it('READ answers the entries after a number, none after the last, all kept after an older one', async () => {
    for (const text of ['a', 'b', 'c', 'd']) await append(text, '3');
    expect(await read(10, '2').then(([, last, kept, e]) => [last, kept, texts(e)])).toEqual([
      4,
      3,
      ['d', 'c'],
    ]);
    expect(texts((await read(10, '4'))[3])).toEqual([]);
    // n = 0 is older than anything kept: every kept entry (the caller sees the gap: 1 < 2).
    expect(texts((await read(10, '0'))[3])).toEqual(['d', 'c', 'b']);
    expect(texts((await read(1))[3])).toEqual(['d']);
  });

  it('READ of a channel without history answers an empty epoch and nothing', async () => {
    expect(await read(10)).toEqual(['', 0, 0, []]);
    expect(await read(10, '5')).toEqual(['', 0, 0, []]);
  });
});
