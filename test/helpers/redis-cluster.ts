import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A throwaway Redis Cluster of three masters (no replicas) on ephemeral loopback ports:
 * `redis-server --cluster-enabled yes` three times, then `redis-cli --cluster create`.
 */
export class TestRedisCluster {
  private constructor(
    readonly ports: number[],
    private readonly processes: ChildProcess[],
    private readonly dir: string,
  ) {}

  /** Startup nodes for an ioredis `Cluster`. */
  get nodes(): Array<{ host: string; port: number }> {
    return this.ports.map((port) => ({ host: '127.0.0.1', port }));
  }

  static async start(): Promise<TestRedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'kws-redis-cluster-'));
    const ports = await Promise.all([0, 1, 2].map(() => freePort()));
    const processes = ports.map((port) =>
      spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '2000',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
        ],
        { stdio: 'ignore' },
      ),
    );
    const cluster = new TestRedisCluster(ports, processes, dir);
    try {
      await Promise.all(ports.map((port) => waitFor(() => cli(port, 'PING'), 'PONG')));
      const addresses = ports.map((port) => `127.0.0.1:${port}`);
      await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-yes']);
      // Every master must know the others and see every slot served before clients connect.
      const ready = (info: string): boolean =>
        /cluster_state:ok/.test(info) &&
        /cluster_slots_ok:16384/.test(info) &&
        /cluster_known_nodes:3/.test(info);
      for (const port of ports) {
        await waitFor(async () => (ready(await cli(port, 'CLUSTER', 'INFO')) ? 'ok' : ''), 'ok');
      }
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.processes.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args]);
  return stdout.trim();
}

async function waitFor(read: () => Promise<string | undefined>, expected: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value === expected) return;
    if (Date.now() > deadline) throw new Error(`Redis Cluster: no "${expected}" within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
