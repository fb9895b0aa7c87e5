import { Controller, Get, Logger, Module, type DynamicModule } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  KwsClusterUnavailableError,
  KwsHealthIndicator,
  KwsModule,
  KwsServer,
  type KwsModuleOptions,
} from '../../src/index.js';
import { TestRedis } from '../helpers/redis-server.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { connect, type TestClient } from '../helpers/ws-client.js';

// The HealthController of docs/metrics.md, as an app would write it.
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly kws: KwsHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.kws.isHealthy('websocket')]);
  }
}

function healthApp(options: KwsModuleOptions): DynamicModule {
  @Module({})
  class HealthAppModule {}
  return {
    module: HealthAppModule,
    imports: [TerminusModule, KwsModule.forRoot(options)],
    controllers: [HealthController],
    providers: [KwsHealthIndicator],
  };
}

/** Polls GET /health until `check` passes (a check is cheap: stats are read, not measured). */
async function healthUntil(
  app: RunningApp,
  check: (status: number, body: any) => boolean,
  timeoutMs = 10_000,
): Promise<{ status: number; body: any }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(app.httpUrl('/health'));
    const result = { status: response.status, body: await response.json() };
    if (check(result.status, result.body) || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('KwsHealthIndicator with @nestjs/terminus', () => {
  const apps: RunningApp[] = [];
  const clients: TestClient[] = [];
  let redis: TestRedis | undefined;

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.terminate();
    await Promise.all(apps.splice(0).map((app) => app.app.close()));
    await redis?.stop();
    redis = undefined;
    vi.restoreAllMocks();
  });

  async function start(options: KwsModuleOptions): Promise<RunningApp> {
    const app = await startApp(healthApp({ path: '/ws', ...options }));
    apps.push(app);
    return app;
  }

  it('is up while the endpoint listens, with its open connections; down once it stops', async () => {
    const app = await start({});
    clients.push(await connect(app.wsUrl('/ws')));
    const { status, body } = await healthUntil(app, (_, b) => b.info?.websocket?.connections === 1);
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'ok',
      info: { websocket: { status: 'up', listening: true, connections: 1 } },
      error: {},
      details: { websocket: { status: 'up', listening: true, connections: 1 } },
    });

    const indicator = app.app.get(KwsHealthIndicator);
    await app.app.close();
    apps.splice(0);
    expect(indicator.isHealthy()).toEqual({
      kws: {
        status: 'down',
        listening: false,
        connections: 0,
        message: 'the WebSocket endpoint is not listening',
      },
    });
  });

  it('isReady goes down (draining) before a handed-over socket is closed (1012)', async () => {
    redis = await TestRedis.start();
    const app = await start({
      parser: 'json',
      recovery: {},
      cluster: { redis: redis.url, keyPrefix: `kws-test-${randomUUID()}` },
    });
    await healthUntil(app, (_, b) => b.info?.websocket?.cluster?.registered === true);
    const client = await connect(app.wsUrl('/ws'));
    clients.push(client);
    const indicator = app.app.get(KwsHealthIndicator);
    expect(indicator.isReady('ws')).toMatchObject({ ws: { status: 'up', connections: 1 } });
    // What the probes would have read when the close frame reached the client.
    let closeCode = 0;
    let readyAtClose: unknown;
    let healthyAtClose: unknown;
    const closed = new Promise<void>((resolve) =>
      client.socket.once('close', (code) => {
        closeCode = code;
        readyAtClose = indicator.isReady('ws');
        healthyAtClose = indicator.isHealthy('ws');
        resolve();
      }),
    );
    await app.app.close();
    apps.splice(0);
    await closed;
    expect(closeCode).toBe(1012);
    expect(readyAtClose).toMatchObject({
      ws: {
        status: 'down',
        draining: true,
        message: expect.stringContaining('the endpoint is draining (shutting down)'),
      },
    });
    // Still registered in the cluster (its Redis connections are still up) while it hands over.
    expect(healthyAtClose).toMatchObject({ ws: { cluster: { registered: true } } });
  });

  it('in cluster mode: up while both Redis connections are ready and the node is registered; 503 while Redis is away', async () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined); // terminus logs each 503
    redis = await TestRedis.start();
    const cluster = {
      redis: redis.url,
      keyPrefix: `kws-test-${randomUUID()}`,
      heartbeatInterval: 100,
      nodeTtl: 300,
    };
    const app = await start({ cluster });
    await start({ cluster }); // a second node
    const up = await healthUntil(app, (_, b) => b.info?.websocket?.cluster?.nodes === 2);
    expect(up.status).toBe(200);
    expect(up.body.info.websocket).toMatchObject({
      status: 'up',
      cluster: { nodes: 2, registered: true, redis: { commands: true, subscriber: true } },
    });
    const server = app.app.get(KwsServer);
    expect(server.stats().cluster).toMatchObject({
      nodes: 2,
      registered: true,
      publishFailures: 0,
      routeFailures: 0,
      pendingRequests: 0,
    });
    expect(server.stats().cluster!.redisRoundTripMs).toBeGreaterThan(0);

    await redis.stop();
    const down = await healthUntil(app, (status) => status === 503);
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('error');
    expect(down.body.error.websocket.status).toBe('down');
    expect(down.body.error.websocket.message).toContain('Redis');
    // Failed cross-node calls are counted by kind.
    await expect(server.broadcast('lost')).rejects.toBeInstanceOf(KwsClusterUnavailableError);
    await expect(server.emitTo(randomUUID(), 'lost')).rejects.toBeInstanceOf(
      KwsClusterUnavailableError,
    );
    expect(server.stats().cluster).toMatchObject({ publishFailures: 1, routeFailures: 1 });

    await redis.restart();
    const back = await healthUntil(app, (status) => status === 200);
    expect(back.status).toBe(200);
    expect(back.body.info.websocket.cluster.registered).toBe(true);
  });
});
