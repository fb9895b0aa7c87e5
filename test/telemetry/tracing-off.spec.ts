import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsServer } from '../../src/index.js';
import { PacketClient } from '../helpers/packet-client.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { useOtelSdk } from './otel-sdk.js';
import { tracedApp } from './traced.app.js';

const spans = useOtelSdk();

describe('tracing off (the default), with an SDK registered', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(tracedApp({ tracing: undefined }));
  });
  afterAll(() => running.app.close());

  it('makes no span: connect, events, a request', async () => {
    const client = await PacketClient.open(running.wsUrl('/ws'));
    await client.ask('echo', 1);
    await client.ask('boom');
    const uuid = [...running.app.get(KwsServer).connections()][0].uuid;
    const answer = running.app.get(KwsServer).request(uuid, { event: 'ask' });
    const asked = await client.nextPacket();
    client.raw.send(JSON.stringify({ ack: asked.id, data: 'ok' }));
    expect(await answer).toBe('ok');
    await client.close();
    // The app's own spans (made in its listeners) are there; none of nestjs-kws.
    expect(spans.all().map((span) => span.instrumentationScope.name)).not.toContain('nestjs-kws');
    expect(spans.named('inside echo')).toHaveLength(1);
  });
});

describe('a tracing option that is not a boolean', () => {
  it('fails at bootstrap, naming the option', async () => {
    await expect(startApp(tracedApp({ tracing: 'yes' as never }))).rejects.toThrow(
      'KwsModule option "tracing" must be a boolean, got "yes".',
    );
  });
});
