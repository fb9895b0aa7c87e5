// The channels rows of `npm run bench`: run-channels-bench.ts in a process of its own (it forks
// its own server), sized by the run's --clients (1,000 members at the default sizes).
import { fork } from 'node:child_process';
import type { BenchOptions } from '../bench-options.js';

const MAX_MEMBERS = 1000;

export function runChannelsSection(options: BenchOptions): Promise<string> {
  const members = Math.max(10, Math.min(options.clients, MAX_MEMBERS));
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./run-channels-bench.js', import.meta.url), [], {
      env: { ...process.env, MEMBERS: String(members) },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let table = '';
    child.stdout!.on('data', (chunk: Buffer) => (table += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`the channels bench exited with ${code}`));
        return;
      }
      resolve(
        `## Channels\n\nClient-initiated channels on one node (docs/channels.md): ${members} ` +
          `members, one process for the server, its CPU read before and after each step.\n\n` +
          `${table.trim()}\n`,
      );
    });
  });
}
