import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestRedis } from '../helpers/redis-server.js';
import { rollingDeploy } from './rolling-deploy.js';

/**
 * A rolling deploy of a 3-node cluster behind a TCP balancer, clients of `nestjs-kws/client`
 * receiving a numbered broadcast all along. 200 clients here (1,000: KWS_DEPLOY_CLIENTS=1000,
 * figures in docs/deploying.md).
 */
const CLIENTS = Number(process.env.KWS_DEPLOY_CLIENTS ?? 200);

describe('rolling deploy: 3 nodes restarted one after the other behind a balancer', () => {
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await TestRedis.start();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it(`with recovery (handover): ${CLIENTS} clients, 0 lost, 0 duplicated, 0 out of order, no disconnect, same uuid`, async () => {
    const report = await rollingDeploy({ redisUrl: redis.url, count: CLIENTS, recovery: true });
    console.log('rolling deploy, recovery on:', JSON.stringify(report));
    expect(report.sent).toBeGreaterThan(20);
    expect(report).toMatchObject({
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
      disconnects: 0,
      uuidChanged: 0,
    });
  }, 180_000);

  it(`without recovery: reports what a deploy costs (${CLIENTS} clients)`, async () => {
    const report = await rollingDeploy({ redisUrl: redis.url, count: CLIENTS, recovery: false });
    console.log('rolling deploy, recovery off:', JSON.stringify(report));
    // Every client was on a restarted node: each lost what was sent while it reconnected, and
    // its session ended (a disconnect per connection).
    expect(report.lost).toBeGreaterThan(0);
    expect(report.disconnects).toBeGreaterThanOrEqual(CLIENTS);
  }, 180_000);
});
