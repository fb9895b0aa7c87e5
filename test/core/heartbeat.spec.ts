import { afterEach, describe, expect, it } from 'vitest';
import { KwsEvent } from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { echoApp } from '../apps/echo.app.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { connect, eventually } from '../helpers/ws-client.js';

// A documented bound, not a speed figure: timers may only run late, by scheduling jitter.
const JITTER_MS = 100;
// Measured where the client receives them, a ping that arrived late (the client's own loop was
// busy) makes the gap to the next one look shorter than the server's interval.
const ARRIVAL_JITTER_MS = 50;

describe('heartbeat', () => {
  let running: RunningApp | undefined;

  afterEach(async () => {
    await running?.app.close();
    running = undefined;
  });

  it('pings every pingInterval and cuts a peer silent since its last frame after at most pingInterval + pongTimeout', async () => {
    const pingInterval = 500;
    const pongTimeout = 300;
    running = await startApp(echoApp({ path: '/ws', pingInterval, pongTimeout }));
    const log = running.app.get(EventLog);
    const client = await connect(running.wsUrl('/ws'), { autoPong: false });
    // Answers the first ping (its last frame), then goes silent.
    const pings: number[] = [];
    client.socket.on('ping', () => {
      pings.push(performance.now());
      if (pings.length === 1) client.socket.pong();
    });
    await client.closed;
    const closedAt = performance.now();
    expect(pings).toHaveLength(2);
    const [lastFrame, secondPing] = pings;
    expect(secondPing - lastFrame).toBeGreaterThanOrEqual(pingInterval - ARRIVAL_JITTER_MS);
    expect(secondPing - lastFrame).toBeLessThan(pingInterval + JITTER_MS);
    expect(closedAt - lastFrame).toBeGreaterThanOrEqual(
      pingInterval + pongTimeout - ARRIVAL_JITTER_MS,
    );
    expect(closedAt - lastFrame).toBeLessThan(pingInterval + pongTimeout + JITTER_MS);
    const [disconnect] = await eventually(
      () => log.named(KwsEvent.Disconnect),
      (e) => e.length === 1,
    );
    expect(disconnect.error).toMatchObject({ kind: 'timeout' });
  });
});
