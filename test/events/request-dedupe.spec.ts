import { Injectable, Module } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { KwsEvent, KwsModule, OnKwsEvent, type KwsEventPayload } from '../../src/index.js';
import { REQUEST_WINDOW } from '../../src/recovery/request.dedupe.js';
import { PacketClient } from '../helpers/packet-client.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

/** Counts the runs of `count` per input, and the protocol errors. */
@Injectable()
class Runs {
  readonly byInput = new Map<string, number>();
  readonly errors: string[] = [];

  @OnKwsEvent('count')
  count({ data }: KwsEventPayload<string>): string {
    const n = (this.byInput.get(data) ?? 0) + 1;
    this.byInput.set(data, n);
    return `${data} run ${n}`;
  }

  @OnKwsEvent(KwsEvent.Error)
  error({ error }: KwsEventPayload): void {
    this.errors.push(String(error?.message));
  }
}

@Module({
  imports: [KwsModule.forRoot({ path: '/ws', parser: 'json' })],
  providers: [Runs],
})
class DedupeModule {}

describe('requests with a rid run once per session (docs/protocol.md)', () => {
  let running: RunningApp | undefined;
  let client: PacketClient | undefined;

  afterEach(async () => {
    await client?.close();
    await running?.app.close();
    client = running = undefined;
  });

  async function start(): Promise<Runs> {
    running = await startApp(DedupeModule);
    client = await PacketClient.open(running.wsUrl('/ws'));
    return running.app.get(Runs);
  }

  function send(packet: object): void {
    client!.raw.send(JSON.stringify(packet));
  }

  it('answers a repeated rid with the first answer, under the repeat id, without running the listener again', async () => {
    const runs = await start();
    send({ event: 'count', data: 'a', id: 1, rid: 1 });
    expect(await client!.nextPacket()).toEqual({ ack: 1, data: 'a run 1' });
    send({ event: 'count', data: 'a', id: 2, rid: 1 });
    expect(await client!.nextPacket()).toEqual({ ack: 2, data: 'a run 1' });
    // Without rid, or another rid: it runs.
    send({ event: 'count', data: 'a', id: 3 });
    expect(await client!.nextPacket()).toEqual({ ack: 3, data: 'a run 2' });
    send({ event: 'count', data: 'a', id: 4, rid: 4 });
    expect(await client!.nextPacket()).toEqual({ ack: 4, data: 'a run 3' });
    expect(runs.byInput.get('a')).toBe(3);
  });

  it(`remembers the last ${REQUEST_WINDOW} rids of a session: an older one runs again`, async () => {
    await start();
    for (let rid = 1; rid <= REQUEST_WINDOW + 1; rid++) {
      send({ event: 'count', data: `r${rid}`, id: rid, rid });
    }
    for (let i = 0; i <= REQUEST_WINDOW; i++) await client!.nextPacket();
    send({ event: 'count', data: 'r2', id: 1000, rid: 2 }); // still in the window
    expect(await client!.nextPacket()).toEqual({ ack: 1000, data: 'r2 run 1' });
    send({ event: 'count', data: 'r1', id: 1001, rid: 1 }); // pushed out of it
    expect(await client!.nextPacket()).toEqual({ ack: 1001, data: 'r1 run 2' });
  });

  it('refuses a rid that is not an integer from 1 to 2^31-1, or one without id, as a protocol error: nothing runs', async () => {
    const runs = await start();
    send({ event: 'count', data: 'x', id: 1, rid: 'one' });
    send({ event: 'count', data: 'x', rid: 5 });
    send({ event: 'count', data: 'x', id: 2, rid: -1 });
    send({ event: 'count', data: 'x', id: 4, rid: 2 ** 31 });
    send({ event: 'count', data: 'y', id: 3, rid: 3 });
    expect(await client!.nextPacket()).toEqual({ ack: 3, data: 'y run 1' });
    expect(runs.byInput.get('x')).toBeUndefined();
    expect(runs.errors).toHaveLength(4);
    expect(runs.errors[0]).toContain('"rid" must be an integer from 1 to 2^31-1');
  });
});
