// The benchmark's own redis-server on a free loopback port (or REDIS_URL when redis-server is
// not installed), and its PUBLISH counter: the proof that a broadcast crosses Redis once.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface BenchRedis {
  url: string;
  /** PUBLISH commands Redis has run so far (scripts' publishes included). */
  publishes(): Promise<number>;
  stop(): Promise<void>;
}

export async function startBenchRedis(): Promise<BenchRedis> {
  let child: ChildProcess | undefined;
  let url = process.env.REDIS_URL ?? '';
  if (spawnSync('redis-server', ['--version']).status === 0) {
    const port = await freePort();
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', ''], {
      stdio: 'ignore',
    });
    url = `redis://127.0.0.1:${port}`;
  } else if (!url) {
    throw new Error('bench:cluster needs redis-server on PATH or REDIS_URL');
  }
  const client = new Redis(url, { retryStrategy: (attempt) => (attempt > 50 ? null : 100) });
  // Refused until redis-server listens: the retries cover it, the events need a listener.
  client.on('error', () => undefined);
  await client.ping();
  return {
    url,
    publishes: async () => {
      const stats = await client.info('commandstats');
      return Number(/cmdstat_publish:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    },
    stop: async () => {
      client.disconnect();
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}
