import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { KwsModuleOptions } from '../../src/index.js';
import { testRedisUrl } from '../helpers/redis-server.js';
import type { ClusterClient } from './cluster-client.js';
import { startInProcessNode } from './cluster-nodes.js';

/** The nodes and clients of a describe block that shares one Redis and two in-process nodes. */
export interface TwoNodes {
  /** Filled in `beforeAll`: two nodes with the same `options`, one Redis, one key prefix. */
  readonly nodes: Array<Awaited<ReturnType<typeof startInProcessNode>>>;
  /** Clients the tests opened; terminated after the block, before the nodes stop. */
  readonly clients: ClusterClient[];
}

/** Starts a Redis and two nodes for the whole describe block, and stops them after it. */
export function useTwoNodes(options: KwsModuleOptions): TwoNodes {
  let redis: { url: string; stop(): Promise<void> };
  const keyPrefix = `kws-test-${randomUUID()}`;
  const nodes: TwoNodes['nodes'] = [];
  const clients: ClusterClient[] = [];

  beforeAll(async () => {
    redis = await testRedisUrl();
    nodes.push(
      await startInProcessNode({ redis: redis.url, keyPrefix }, options),
      await startInProcessNode({ redis: redis.url, keyPrefix }, options),
    );
  });

  afterAll(async () => {
    for (const client of clients) client.terminate();
    await Promise.all(nodes.map((node) => node.stop()));
    await redis.stop();
  });

  return { nodes, clients };
}
