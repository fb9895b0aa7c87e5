import { Injectable, Module } from '@nestjs/common';
import { MessageBody } from '@nestjs/websockets';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { Registry, register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  KwsEvent,
  KwsModule,
  OnKwsEvent,
  OnKwsEndpoint,
  getKwsServerToken,
  type KwsServer,
} from '../../src/index.js';
import { startApp } from '../helpers/start-app.js';
import { useRunningApp } from '../helpers/app-session.js';
import { connect, type TestClient } from '../helpers/ws-client.js';

@Injectable()
class ChatListeners {
  @OnKwsEvent('chat')
  chat(@MessageBody() data: unknown): unknown {
    return data;
  }

  @OnKwsEvent(KwsEvent.Connect)
  connected(): void {}
}

@Injectable()
@OnKwsEndpoint('admin')
class AdminListeners {
  @OnKwsEvent('status')
  status(): string {
    return 'fine';
  }
}

// @willsoto/nestjs-prometheus registers prom-client's default metrics once per process.
@Module({
  imports: [
    PrometheusModule.register(),
    KwsModule.forRoot({ path: '/ws', parser: 'json', metrics: { prometheus: true } }),
  ],
  providers: [ChatListeners],
})
class WillsotoAppModule {}

const registry = new Registry();

@Module({
  imports: [
    KwsModule.forRoot({ path: '/ws', parser: 'json', metrics: { prometheus: { registry } } }),
    KwsModule.forRoot({
      name: 'admin',
      path: '/admin',
      parser: 'json',
      metrics: { prometheus: { registry } },
    }),
  ],
  providers: [ChatListeners, AdminListeners],
})
class TwoEndpointsModule {}

describe('Prometheus export (metrics: { prometheus })', () => {
  const session = useRunningApp();
  const { clients } = session;

  async function open(path: string): Promise<TestClient> {
    const client = await connect(session.running!.wsUrl(path));
    clients.push(client);
    return client;
  }

  async function ask(client: TestClient, packet: object): Promise<unknown> {
    client.send(JSON.stringify(packet));
    return JSON.parse((await client.next()).text);
  }

  it("shows up on @willsoto/nestjs-prometheus's /metrics, next to its default metrics", async () => {
    session.running = await startApp(WillsotoAppModule);
    const client = await open('/ws');
    expect(await ask(client, { event: 'chat', data: 'hi', id: 1 })).toEqual({ ack: 1, data: 'hi' });
    expect(await ask(client, { event: 'nope', data: 1, id: 2 })).toMatchObject({
      ack: 2,
      error: { status: 404 },
    });
    const text = await (await fetch(session.running.httpUrl('/metrics'))).text();

    expect(text).toContain('process_cpu_user_seconds_total'); // willsoto's default metrics
    expect(text).toContain('kws_connections{endpoint=""} 1');
    expect(text).toContain('kws_upgrades_accepted_total{endpoint=""} 1');
    expect(text).toContain('kws_messages_received_total{endpoint=""} 2');
    expect(text).toContain('kws_messages_sent_total{endpoint=""} 2');
    expect(text).toContain('kws_listener_duration_seconds_count{endpoint="",event="chat"} 1');
    expect(text).toContain('kws_listener_duration_seconds_count{endpoint="",event="connect"} 1');
    expect(text).toContain('kws_ack_latency_seconds_count{endpoint="",event="chat"} 1');
    // A name no listener has is the client's: it never becomes a label.
    expect(text).not.toContain('event="nope"');
    // Cluster gauges only exist in cluster mode.
    expect(text).not.toMatch(/^kws_cluster_nodes\{/m);

    await session.running.app.close();
    session.running = undefined;
    expect(register.getSingleMetric('kws_connections')).toBeUndefined();
  });

  it("registers into the app's own registry; several endpoints share the metrics under their endpoint label", async () => {
    session.running = await startApp(TwoEndpointsModule);
    const chat = await open('/ws');
    const admin = await open('/admin');
    await open('/admin');
    expect(await ask(admin, { event: 'status', id: 1 })).toEqual({ ack: 1, data: 'fine' });
    expect(await ask(chat, { event: 'chat', data: 1, id: 1 })).toEqual({ ack: 1, data: 1 });

    const text = await registry.metrics();
    expect(text).toContain('kws_connections{endpoint=""} 1');
    expect(text).toContain('kws_connections{endpoint="admin"} 2');
    expect(text).toContain('kws_ack_latency_seconds_count{endpoint="admin",event="status"} 1');
    expect(text).toContain('kws_ack_latency_seconds_count{endpoint="",event="chat"} 1');
    const adminServer = session.running.app.get<string, KwsServer>(getKwsServerToken('admin'));
    expect(adminServer.stats().connections).toBe(2);

    await session.running.app.close();
    session.running = undefined;
    expect(registry.getSingleMetric('kws_connections')).toBeUndefined();
  });

  it('refuses a registry where another library already uses a kws_ name, with a hint', async () => {
    const taken = new Registry();
    const { Gauge } = await import('prom-client');
    new Gauge({ name: 'kws_connections', help: 'not ours', registers: [taken] });
    await expect(
      startApp(KwsModule.forRoot({ path: '/ws', metrics: { prometheus: { registry: taken } } })),
    ).rejects.toThrow('set metrics.prometheus.prefix');
  });
});
