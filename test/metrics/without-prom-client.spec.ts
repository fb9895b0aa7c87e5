import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Runs the built library in a fresh process whose module resolution cannot find prom-client. */
async function withoutPromClient(prometheus: boolean): Promise<{ out: string; err: string }> {
  const args = ['--import', fixture('hide-prom-client.mjs'), fixture('metrics-node.mjs')];
  const env = { ...process.env, PROMETHEUS: prometheus ? '1' : '0' };
  return run(process.execPath, args, { env }).then(
    ({ stdout, stderr }) => ({ out: stdout, err: stderr }),
    (error: { stdout: string; stderr: string }) => ({ out: error.stdout, err: error.stderr }),
  );
}

describe('an app without prom-client installed', () => {
  it('runs, and KwsServer.stats() works (prom-client is only loaded when asked for)', async () => {
    const { out } = await withoutPromClient(false);
    expect(out).toMatch(/^PORT \d+$/m);
    expect(out).toContain('STATS {"listening":true,"connections":0');
  });

  it('asked for metrics.prometheus, fails at bootstrap with an "npm install prom-client" message', async () => {
    const { out, err } = await withoutPromClient(true);
    expect(out).not.toContain('PORT');
    expect(err).toContain('run "npm install prom-client"');
  });
});
