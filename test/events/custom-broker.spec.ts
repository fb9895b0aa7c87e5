import { Module } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KwsModule,
  KwsServer,
  LocalKwsBroker,
  type KwsBroker,
  type KwsConnectionPool,
  type KwsOutbound,
} from '../../src/index.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { connect, eventually } from '../helpers/ws-client.js';

/** A broker of one's own, written against the published seam only: it logs, then delegates. */
class AuditingBroker extends LocalKwsBroker implements KwsBroker {
  readonly log: string[] = [];

  constructor(pool: KwsConnectionPool) {
    super(pool);
  }

  override async register(uuid: string): Promise<void> {
    this.log.push(`register ${uuid}`);
  }

  override broadcast(message: KwsOutbound, except?: string, room?: string): Promise<string[]> {
    this.log.push(`broadcast ${message.data.toString()} binary=${message.binary}`);
    return super.broadcast(message, except, room);
  }
}

let broker: AuditingBroker | undefined;

@Module({
  imports: [
    KwsModule.forRoot({
      path: '/ws',
      broker: (pool) => (broker = new AuditingBroker(pool)),
    }),
  ],
})
class CustomBrokerModule {}

describe('a broker of your own (docs/broker.md)', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(CustomBrokerModule);
  });
  afterAll(() => running.app.close());

  it('gets every cross-connection call of Kws and KwsServer, and delivers through the pool', async () => {
    const client = await connect(running.wsUrl('/ws'));
    const server = running.app.get(KwsServer);
    await eventually(
      () => server.localCount,
      (n) => n === 1,
    );
    await server.broadcast({ event: 'news', data: 1 });
    expect((await client.next()).text).toBe('{"event":"news","data":1}');
    const uuid = [...server.connections()][0].uuid;
    expect(broker!.log).toEqual([
      `register ${uuid}`,
      'broadcast {"event":"news","data":1} binary=false',
    ]);
    client.socket.terminate();
  });
});
