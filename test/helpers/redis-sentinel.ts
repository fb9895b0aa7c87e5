import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killAll, redisCli } from './redis-processes.js';

/**
 * A throwaway Sentinel setup on ephemeral loopback ports: a master, one replica, one sentinel
 * monitoring them as "mymaster" (quorum 1, down after 1 s), ready to fail over.
 */
export class TestRedisSentinel {
  private constructor(
    readonly masterPort: number,
    readonly replicaPort: number,
    readonly sentinelPort: number,
    private readonly processes: Map<number, ChildProcess>,
    private readonly dir: string,
  ) {}

  /** ioredis options that find the master through the sentinel. */
  get options(): { sentinels: Array<{ host: string; port: number }>; name: string } {
    return { sentinels: [{ host: '127.0.0.1', port: this.sentinelPort }], name: 'mymaster' };
  }

  static async start(): Promise<TestRedisSentinel> {
    const dir = mkdtempSync(join(tmpdir(), 'kws-redis-sentinel-'));
    const [master, replica, sentinel] = await Promise.all([freePort(), freePort(), freePort()]);
    const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    const processes = new Map<number, ChildProcess>();
    const server = (port: number, args: string[]): void => {
      processes.set(port, spawn('redis-server', args, { stdio: 'ignore' }));
    };
    server(master, ['--port', String(master), ...common]);
    server(replica, [
      '--port',
      String(replica),
      ...common,
      '--replicaof',
      '127.0.0.1',
      String(master),
      '--repl-diskless-sync-delay',
      '0',
    ]);
    const config = join(dir, 'sentinel.conf');
    writeFileSync(
      config,
      [
        `port ${sentinel}`,
        'bind 127.0.0.1',
        `sentinel monitor mymaster 127.0.0.1 ${master} 1`,
        'sentinel down-after-milliseconds mymaster 1000',
        'sentinel failover-timeout mymaster 5000',
        '',
      ].join('\n'),
    );
    server(sentinel, [config, '--sentinel']);
    const setup = new TestRedisSentinel(master, replica, sentinel, processes, dir);
    try {
      await waitFor(async () => {
        const info = await redisCli(replica, 'INFO', 'replication');
        return /master_link_status:up/.test(info);
      });
      await waitFor(async () => {
        const replicas = await redisCli(sentinel, 'SENTINEL', 'REPLICAS', 'mymaster');
        return replicas.includes(String(replica));
      });
    } catch (error) {
      await setup.stop();
      throw error;
    }
    return setup;
  }

  /** Kills the master (SIGKILL); the sentinel promotes the replica after about 1 s. */
  async killMaster(): Promise<void> {
    const child = this.processes.get(this.masterPort)!;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await killAll(this.processes.values());
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('Redis Sentinel setup not ready within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
