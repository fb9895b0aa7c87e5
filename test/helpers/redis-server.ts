import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Socket } from 'node:net';
import { freePort } from './redis-processes.js';

/** A throwaway `redis-server` on an ephemeral loopback port: no persistence, stopped by the test. */
export class TestRedis {
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly extraArgs: string[],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** `extraArgs`: more redis-server flags, e.g. `['--requirepass', 'secret']`. */
  static async start(extraArgs: string[] = []): Promise<TestRedis> {
    const redis = new TestRedis(await freePort(), extraArgs);
    await redis.restart();
    return redis;
  }

  /** (Re)starts the server on the same port, empty (a restart loses every key, like a crash). */
  async restart(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      ...this.extraArgs,
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.process = child;
    const failed = once(child, 'error');
    failed.catch(() => undefined);
    await Promise.race([waitForPort(this.port), failed.then(([error]) => Promise.reject(error))]);
  }

  /** Kills the server (SIGKILL: no goodbye to clients, like a crash or a cut network). */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

/** `REDIS_URL` when given (shared Redis; tests use their own key prefix), else a redis-server of our own. */
export async function testRedisUrl(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => undefined };
  const redis = await TestRedis.start();
  return { url: redis.url, stop: () => redis.stop() };
}

async function waitForPort(port: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const socket = new Socket();
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve).once('error', reject).connect(port, '127.0.0.1');
      });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      socket.destroy();
    }
  }
}
