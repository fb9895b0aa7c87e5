import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestRedis } from '../helpers/redis-server.js';

const root = resolve(import.meta.dirname, '../..');

function luaFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? luaFiles(join(dir, entry.name))
      : entry.name.endsWith('.lua')
        ? [join(dir, entry.name)]
        : [],
  );
}

/**
 * The Lua scripts are files read beside the compiled modules: the package as npm installs it
 * (packed from the build, unpacked elsewhere) must carry them in dist/, and its script modules
 * must load every one, each a script a real Redis compiles.
 */
describe('the Lua scripts of the packed package', () => {
  let dir: string;
  let installed: string;
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kws-lua-'));
    // `npm test` builds dist first (pretest); --ignore-scripts so packing does not rebuild it.
    const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    installed = join(dir, 'nestjs-kws');
    mkdirSync(installed);
    execFileSync('tar', [
      'xzf',
      join(dir, packed.split('\n').at(-1)!),
      '-C',
      installed,
      '--strip-components=1',
    ]);
    redis = await TestRedis.start();
    client = new Redis(redis.url);
  }, 60_000);

  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ships every .lua file of src/ in dist/, at the same place', () => {
    const sources = luaFiles(join(root, 'src')).map((file) => relative(join(root, 'src'), file));
    expect(sources.length).toBeGreaterThanOrEqual(26);
    const shipped = luaFiles(join(installed, 'dist')).map((file) =>
      relative(join(installed, 'dist'), file),
    );
    expect(shipped.sort()).toEqual(sources.sort());
  });

  it('loads every script from the installed dist/, and Redis compiles each', async () => {
    const load = (path: string) =>
      import(pathToFileURL(join(installed, 'dist', path)).href) as Promise<Record<string, string>>;
    const directory = await load('cluster/directory.scripts.js');
    const recovery = await load('cluster/recovery/recovery.scripts.js');
    const history = await load('channels/history.scripts.js');
    // One export per script file of the family (its prelude is not a script).
    const directoryFiles = readdirSync(join(root, 'src/cluster/lua/directory'));
    expect(Object.keys(directory)).toHaveLength(
      directoryFiles.filter((file) => file.endsWith('.lua') && file !== 'prelude.lua').length,
    );
    expect(Object.keys(recovery).sort()).toEqual(['LOG_TO', 'MOVE', 'SAVE', 'TAKE', 'UNKNOWN']);
    expect(Object.keys(history).sort()).toEqual(['APPEND', 'READ']);
    for (const [name, lua] of Object.entries({ ...directory, ...recovery, ...history })) {
      // SCRIPT LOAD compiles without running: a syntax error (or a missing prelude) is refused.
      // Sent without the files' comment lines.
      expect([name, /^\s*--/m.test(lua)]).toEqual([name, false]);
      const sha = await client.script('LOAD', lua);
      expect([name, sha]).toEqual([name, expect.stringMatching(/^[0-9a-f]{40}$/)]);
    }
    // And one runs: a node joins with two uuids, which COUNT then sees.
    const p = 'packed';
    const joinKeys = ['dir', 'nodes', 'alive:n1', 'conns:n1', 'members:n1', 'gc', 'gcseq'];
    const keys = (...names: string[]): [number, ...string[]] => [
      names.length,
      ...names.map((name) => `${p}:${name}`),
    ];
    const joined = await client.eval(
      directory.JOIN,
      ...keys(...joinKeys),
      p,
      'n1',
      60_000,
      'a',
      'b',
    );
    expect(joined).toEqual([]);
    expect(await client.eval(directory.COUNT, ...keys('dir', 'nodes'), p)).toBe(2);
  });
});
