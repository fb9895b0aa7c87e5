import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/**
 * Runs the built library's cluster-node fixture in a fresh process whose module resolution cannot
 * find ioredis; resolves with its output once it listens (then stops it) or exits.
 */
async function runWithoutIoredis(
  redisUrl: string,
): Promise<{ listening: boolean; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--import', fixture('hide-ioredis.mjs'), fixture('cluster-node.mjs')],
    {
      env: { ...process.env, REDIS_URL: redisUrl, KWS_PREFIX: 'kws-test-no-ioredis' },
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  const listening = await new Promise<boolean>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('PORT')) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  if (listening) child.kill('SIGTERM');
  await exited;
  return { listening, stderr };
}

describe('an app without ioredis installed', () => {
  it('runs with the in-process default broker', async () => {
    expect((await runWithoutIoredis('none')).listening).toBe(true);
  });

  it('asked for cluster mode, fails at bootstrap with an "npm install ioredis" message', async () => {
    const run = await runWithoutIoredis('redis://127.0.0.1:1');
    expect(run.listening).toBe(false);
    expect(run.stderr).toContain('npm install ioredis');
  });
});
