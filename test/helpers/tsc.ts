import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs `tsc --noEmit -p <config>`; returns its diagnostics as `file:line: TSxxxx` (first line of each). */
export async function compile(config: string): Promise<{ ok: boolean; errors: string[] }> {
  const result = await run('node_modules/.bin/tsc', ['--noEmit', '-p', config]).then(
    () => ({ ok: true, stdout: '' }),
    (error: { stdout: string }) => ({ ok: false, stdout: error.stdout }),
  );
  const errors = [...result.stdout.matchAll(/^(\S+)\((\d+),\d+\): error (TS\d+)/gm)].map(
    ([, file, line, code]) => `${file.split('/').pop()}:${line}: ${code}`,
  );
  return { ok: result.ok, errors };
}

/** The errors a compile-fail fixture declares: each line ending in `// error TSxxxx`. */
export function expectedErrors(fixture: string): string[] {
  return readFileSync(fixture, 'utf8')
    .split('\n')
    .flatMap((text, i) => {
      const code = /\/\/ error (TS\d+)$/.exec(text)?.[1];
      return code ? [`${basename(fixture)}:${i + 1}: ${code}`] : [];
    });
}
