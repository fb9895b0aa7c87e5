import { afterEach, describe, expect, it } from 'vitest';
import { KwsEvent, KwsServer } from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { echoApp } from '../apps/echo.app.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { connect, eventually } from '../helpers/ws-client.js';

describe('compression: true (permessage-deflate)', () => {
  let running: RunningApp | undefined;

  afterEach(async () => {
    await running?.app.close();
  });

  it('negotiates deflate and still echoes, emits and broadcasts in order', async () => {
    running = await startApp(echoApp({ path: '/ws', compression: { threshold: 0 } }));
    const server = running.app.get(KwsServer);
    const a = await connect(running.wsUrl('/ws'), { perMessageDeflate: true });
    const b = await connect(running.wsUrl('/ws'), { perMessageDeflate: false });
    expect(a.socket.extensions).toContain('permessage-deflate');
    expect(b.socket.extensions).toBe('');
    await eventually(
      () => running!.app.get(EventLog).named(KwsEvent.Connect),
      (e) => e.length === 2,
    );

    const long = 'compressible '.repeat(500);
    a.send(long);
    expect((await a.next()).text).toBe(`echo:${long}`);
    for (let i = 0; i < 20; i++) await server.broadcast(`n${i}`);
    await a.waitForCount(21);
    await b.waitForCount(20);
    expect(a.received.slice(1).map((m) => m.text)).toEqual(b.received.map((m) => m.text));
    expect(b.received.map((m) => m.text)).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`));
    a.socket.terminate();
    b.socket.terminate();
  });
});
