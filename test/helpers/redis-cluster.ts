import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, killAll, redisCli } from './redis-processes.js';

const run = promisify(execFile);

/**
 * A throwaway Redis Cluster of three masters (and, with `replicas`, one replica each) on ephemeral
 * loopback ports: `redis-server --cluster-enabled yes` per node, then `redis-cli --cluster create`.
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

  /**
   * Starts the cluster; a start whose ports another process took meanwhile (they are free when
   * picked, not reserved) is tried again on other ports.
   */
  static async start({ replicas = false } = {}): Promise<TestRedisCluster> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await TestRedisCluster.startOnce(replicas);
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }

  private static async startOnce(replicas: boolean): Promise<TestRedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'kws-redis-cluster-'));
    const count = replicas ? 6 : 3;
    // The cluster bus port is named too: Redis's default (the port + 10,000) does not exist for
    // an ephemeral port above 55,535, and may be in use by another process.
    const picked = new Set<number>();
    while (picked.size < 2 * count) picked.add(await freePort());
    const ports = [...picked].slice(0, count);
    const busPorts = [...picked].slice(count);
    const processes = ports.map((port, i) =>
      spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--cluster-port',
          String(busPorts[i]),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '2000',
          // A replica may take over however old its data (a test cluster fails over at once),
          // and syncs from its master without the diskless delay.
          '--cluster-replica-validity-factor',
          '0',
          '--repl-diskless-sync-delay',
          '0',
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
      // A node that could not bind its ports exits at once: no use waiting for its PONG.
      const exited = Promise.race(processes.map((child) => once(child, 'exit'))).then(() => {
        throw new Error('Redis Cluster: a node exited while starting (its port was taken?)');
      });
      exited.catch(() => undefined); // it also fires when the cluster stops, later
      await Promise.race([
        exited,
        Promise.all(ports.map((port) => waitFor(() => redisCli(port, 'PING'), 'PONG'))),
      ]);
      const addresses = ports.map((port) => `127.0.0.1:${port}`);
      const replicaArgs = replicas ? ['--cluster-replicas', '1'] : [];
      await run('redis-cli', [
        '--cluster',
        'create',
        ...addresses,
        ...replicaArgs,
        '--cluster-yes',
      ]);
      // Every master must know the others and see every slot served before clients connect.
      const ready = (info: string): boolean =>
        /cluster_state:ok/.test(info) &&
        /cluster_slots_ok:16384/.test(info) &&
        new RegExp(`cluster_known_nodes:${count}`).test(info);
      for (const port of ports) {
        await waitFor(
          async () => (ready(await redisCli(port, 'CLUSTER', 'INFO')) ? 'ok' : ''),
          'ok',
        );
        // A replica that has not synced yet could not take over.
        await waitFor(async () => {
          const info = await redisCli(port, 'INFO', 'replication');
          return /role:master/.test(info) || /master_link_status:up/.test(info) ? 'ok' : '';
        }, 'ok');
      }
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Reads each node through a plain connection of its own (what each shard holds or did). */
  async perNode<T>(read: (node: Redis) => Promise<T>): Promise<T[]> {
    return Promise.all(
      this.ports.map(async (port) => {
        const node = new Redis(port, '127.0.0.1');
        try {
          return await read(node);
        } finally {
          node.disconnect();
        }
      }),
    );
  }

  /** The port of the master serving `key`'s slot. */
  async masterOf(key: string): Promise<number> {
    // Asked of the first node still running (an earlier `kill` may have taken the first one).
    const alive = this.ports.filter(
      (_, i) => this.processes[i].exitCode === null && this.processes[i].signalCode === null,
    );
    const asked = alive[0] ?? this.ports[0];
    const slot = Number(await redisCli(asked, 'CLUSTER', 'KEYSLOT', key));
    const nodes = await redisCli(asked, 'CLUSTER', 'NODES');
    for (const line of nodes.split('\n')) {
      const [, address, flags, , , , , state, ...ranges] = line.split(' ');
      if (!flags.includes('master') || flags.includes('fail') || state !== 'connected') continue;
      for (const range of ranges) {
        const [from, to = from] = range.split('-').map(Number);
        if (slot >= from && slot <= to) return Number(address.split(':')[1].split('@')[0]);
      }
    }
    throw new Error(`no master serves slot ${slot}`);
  }

  /** Kills one node (SIGKILL: a crash); its replica takes over after the node timeout (2 s). */
  async kill(port: number): Promise<void> {
    await killAll([this.processes[this.ports.indexOf(port)]]);
  }

  async stop(): Promise<void> {
    await killAll(this.processes);
    rmSync(this.dir, { recursive: true, force: true });
  }
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
