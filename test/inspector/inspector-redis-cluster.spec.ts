import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsServer } from '../../src/index.js';
import { TestRedisCluster } from '../helpers/redis-cluster.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';
import { ADMIN_TOKEN, inspectedApp } from './inspector.app.js';

type Json = Record<string, any>;

/**
 * The shared chart samples on a Redis Cluster of three masters: every node's list under one hash
 * tag (`{prefix:insp}`), so a node writes its own in one MULTI and the page reads them all in one
 * pipeline, on one slot.
 */
describe('the inspector on Redis Cluster (3 masters)', () => {
  let redis: TestRedisCluster;
  let template: Cluster;
  const nodes: RunningApp[] = [];

  beforeAll(async () => {
    redis = await TestRedisCluster.start();
    template = new Cluster(redis.nodes, { lazyConnect: true });
    const cluster = {
      redis: template,
      keyPrefix: `kws-insp-${randomUUID()}`,
      heartbeatInterval: 100,
      nodeTtl: 600,
    };
    for (let i = 0; i < 2; i++) nodes.push(await startApp(inspectedApp({ cluster })));
    for (const node of nodes) {
      await eventually(
        () => node.app.get(KwsServer).stats().cluster?.nodes,
        (n) => n === 2,
        10_000,
      );
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.app.close()));
    template?.disconnect();
    await redis?.stop();
  });

  it("each node's page shows both nodes' series", async () => {
    const ids = nodes.map((node) => node.app.get(KwsServer).stats().cluster!.nodeId).sort();
    for (const viewer of nodes) {
      const deadline = Date.now() + 10_000;
      let seen: Json = {};
      do {
        const response = await fetch(viewer.httpUrl('/kws/inspect/api/state'), {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        expect(response.status).toBe(200);
        seen = (await response.json()) as Json;
        if (seen.series?.nodes.every((n: Json) => n.samples.length > 0)) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      } while (Date.now() < deadline);
      expect(seen.series.nodes.map((n: Json) => n.node)).toEqual(ids);
      for (const node of seen.series.nodes) expect(node.samples.length).toBeGreaterThan(0);
      expect(seen.series.total.length).toBeGreaterThan(0);
    }
  });
});
