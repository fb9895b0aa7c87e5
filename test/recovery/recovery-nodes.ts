import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KwsServer, type KwsClusterOptions } from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { recoveryApp } from '../apps/recovery.app.js';
import { startApp } from '../helpers/start-app.js';

/** A cluster node with recovery, in this process (test/apps/recovery.app.ts). */
export async function startRecoveryNode(cluster: KwsClusterOptions, maxDisconnection = 20_000) {
  const running = await startApp(
    recoveryApp({ cluster, recovery: { maxDisconnection }, allowUpgrade: undefined }),
  );
  return {
    port: running.port,
    server: running.app.get(KwsServer),
    log: running.app.get(EventLog),
    stop: () => running.app.close(),
  };
}

const NODE_SCRIPT = fileURLToPath(new URL('./fixtures/recovery-node.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** The same node in a process of its own (on dist/: `npm run build` first), to SIGKILL it. */
export async function startRecoveryProcess(redisUrl: string, keyPrefix: string) {
  if (!existsSync(BUILT)) throw new Error('dist/ is missing: run "npm run build" first');
  const child = spawn(process.execPath, [NODE_SCRIPT], {
    env: { ...process.env, REDIS_URL: redisUrl, KWS_PREFIX: keyPrefix },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /PORT (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`recovery node exited early (${code})`)));
  });
  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  return { port, kill, stop: () => kill('SIGTERM') };
}
