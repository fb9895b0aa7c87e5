import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const FIXTURES = 'test/client/fixtures';

/** Runs `tsc --noEmit -p <config>`; returns its diagnostics as `line: TSxxxx` (first line of each). */
async function compile(config: string): Promise<{ ok: boolean; errors: string[] }> {
  const result = await run('node_modules/.bin/tsc', [
    '--noEmit',
    '-p',
    `${FIXTURES}/${config}`,
  ]).then(
    () => ({ ok: true, stdout: '' }),
    (error: { stdout: string }) => ({ ok: false, stdout: error.stdout }),
  );
  const errors = [...result.stdout.matchAll(/^(\S+)\((\d+),\d+\): error (TS\d+)/gm)].map(
    ([, file, line, code]) => `${file.split('/').pop()}:${line}: ${code}`,
  );
  return { ok: result.ok, errors };
}

describe('typed event maps (tsc)', () => {
  it('fails to compile exactly the wrong names and payloads of the fixture', async () => {
    const source = readFileSync(`${FIXTURES}/typed-events.fixture.ts`, 'utf8').split('\n');
    const expected = source.flatMap((text, i) => {
      const code = /\/\/ error (TS\d+)$/.exec(text)?.[1];
      return code ? [`typed-events.fixture.ts:${i + 1}: ${code}`] : [];
    });
    expect(expected.length).toBeGreaterThanOrEqual(10);

    const { ok, errors } = await compile('tsconfig.json');
    expect(ok).toBe(false);
    expect(errors).toEqual(expected);
  });

  it('builds for browsers (DOM library, no Node types) and takes the DOM WebSocket class', async () => {
    expect(await compile('tsconfig.browser.json')).toEqual({ ok: true, errors: [] });
  });
});
