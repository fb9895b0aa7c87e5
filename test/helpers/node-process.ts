import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BUILT = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** A fixture script running in a `node` process of its own, and how to end it. */
export interface NodeProcess {
  /** The port the script printed as `PORT <n>` on its stdout. */
  port: number;
  /** Sends `signal` (SIGKILL: a crash, no goodbye) and waits for the exit; no-op once exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Runs `script` (a fixture on the built library, so `npm run build` first) with `env` and resolves
 * once it printed the port it listens on; rejects, naming `what`, if it exits before that.
 */
export async function spawnNodeFixture(
  script: string,
  env: NodeJS.ProcessEnv,
  what: string,
): Promise<NodeProcess> {
  if (!existsSync(BUILT)) throw new Error('dist/ is missing: run "npm run build" first');
  const child = spawn(process.execPath, [script], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /PORT (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${what} exited early (${code})`)));
  });
  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  return { port, kill };
}
