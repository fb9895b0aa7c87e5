import { describe, expect, it } from 'vitest';
import { KwsEvent, KwsServer, type KwsModuleOptions } from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { echoApp } from '../apps/echo.app.js';
import { startApp } from '../helpers/start-app.js';
import { useRunningApp } from '../helpers/app-session.js';
import { connect, eventually } from '../helpers/ws-client.js';

describe('rateLimit.pings', () => {
  const session = useRunningApp();

  async function pingFlood(options: KwsModuleOptions, pings: number) {
    session.running = await startApp(echoApp({ path: '/ws', ...options }));
    const client = await connect(session.running.wsUrl('/ws'));
    session.clients.push(client);
    const pongs: string[] = [];
    client.socket.on('pong', (data: Buffer) => pongs.push(data.toString()));
    for (let i = 0; i < pings; i++) client.socket.ping(`p${i}`);
    // A message after the pings: its echo comes after any pong the server wrote for them.
    client.send('after');
    expect((await client.next()).text).toBe('echo:after');
    return { pongs, app: session.running.app };
  }

  it('a ping past the limit gets no pong (ws would answer every ping by itself)', async () => {
    const { pongs, app } = await pingFlood(
      { rateLimit: { messages: 10, pings: 3, per: 60_000 } },
      50,
    );
    expect(pongs).toEqual(['p0', 'p1', 'p2']);
    expect(app.get(KwsServer).stats().rateLimit.drops).toBe(47);
    await eventually(
      () => app.get(EventLog).named(KwsEvent.Ping).length,
      (n) => n === 3,
    );
  });

  it('without a rate limit, every ping still gets its pong', async () => {
    const { pongs } = await pingFlood({}, 50);
    expect(pongs).toHaveLength(50);
    expect(pongs[49]).toBe('p49');
  });
});
