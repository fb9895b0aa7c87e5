import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Runs the built library in a fresh process whose module resolution cannot find @opentelemetry/*. */
async function withoutOtelApi(
  tracing: boolean,
): Promise<{ out: string; err: string; imports: string[] }> {
  const args = ['--import', fixture('hide-otel-api.mjs'), fixture('tracing-node.mjs')];
  // The loader appends every attempt to import an @opentelemetry package to this file.
  const log = join(mkdtempSync(join(tmpdir(), 'kws-otel-')), 'imports.log');
  writeFileSync(log, '');
  const env = { ...process.env, TRACING: tracing ? '1' : '0', OTEL_LOG: log };
  const { out, err } = await run(process.execPath, args, { env }).then(
    ({ stdout, stderr }) => ({ out: stdout, err: stderr }),
    (error: { stdout: string; stderr: string }) => ({ out: error.stdout, err: error.stderr }),
  );
  return { out, err, imports: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

describe('an app without @opentelemetry/api installed', () => {
  it('runs with tracing off, a packet with a trace key is handled, and nothing tries to load OTel', async () => {
    const { out, imports } = await withoutOtelApi(false);
    expect(out).toMatch(/^PORT \d+$/m);
    expect(out).toContain('ACK {"ack":1,"data":"hi"}');
    expect(imports).toEqual([]);
  });

  it('asked for tracing: true, fails at bootstrap with an "npm install @opentelemetry/api" message', async () => {
    const { out, err, imports } = await withoutOtelApi(true);
    expect(out).not.toContain('PORT');
    expect(err).toContain('run "npm install @opentelemetry/api"');
    // The import the first test shows never happening is the one tracing makes.
    expect(imports).toEqual(['@opentelemetry/api']);
  });
});
