import { Cluster } from 'ioredis';
import type { KwsRedisConnection } from '../../src/index.js';
import { TestRedisCluster } from '../helpers/redis-cluster.js';
import { testRedisUrl } from '../helpers/redis-server.js';

/** A Redis for a cluster spec: what in-process nodes and process nodes are given. */
export interface TestTopology {
  /** `cluster.redis` of an in-process node (a fresh template each time). */
  redis(): KwsRedisConnection;
  /** REDIS_URL of a process node (fixtures/cluster-node.mjs): a URL or "cluster:host:port,...". */
  readonly processUrl: string;
  /** One URL per master (one for a standalone Redis), to read what each holds. */
  readonly masters: string[];
  /** The URL of the master serving `key`'s slot (the standalone Redis: its URL). */
  masterOf(key: string): Promise<string>;
  stop(): Promise<void>;
}

export type TopologyName = 'standalone Redis' | 'Redis Cluster';

/** The topologies the cluster specs run on: the same tests, standalone and a 3-master cluster. */
export const TOPOLOGIES: TopologyName[] = ['standalone Redis', 'Redis Cluster'];

export async function startTopology(name: TopologyName): Promise<TestTopology> {
  if (name === 'standalone Redis') {
    const redis = await testRedisUrl();
    return {
      redis: () => redis.url,
      processUrl: redis.url,
      masters: [redis.url],
      masterOf: async () => redis.url,
      stop: () => redis.stop(),
    };
  }
  const cluster = await TestRedisCluster.start();
  const templates: Cluster[] = [];
  return {
    redis: () => {
      const template = new Cluster(cluster.nodes, { lazyConnect: true });
      templates.push(template);
      return template;
    },
    processUrl: `cluster:${cluster.nodes.map(({ host, port }) => `${host}:${port}`).join(',')}`,
    masters: cluster.ports.map((port) => `redis://127.0.0.1:${port}`),
    masterOf: async (key) => `redis://127.0.0.1:${await cluster.masterOf(key)}`,
    stop: async () => {
      for (const template of templates) template.disconnect();
      await cluster.stop();
    },
  };
}
