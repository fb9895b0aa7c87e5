import { describe, expect, it } from 'vitest';
import { KwsEncodeError, KwsEvent, KwsServer, type Kws } from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { useRunningApp } from '../helpers/app-session.js';
import { watchCrashes } from '../helpers/crash-watch.js';
import { PacketClient } from '../helpers/packet-client.js';
import { startApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';
import { hostileApp } from './hostile.app.js';

const cycle: Record<string, unknown> = { name: 'loop' };
cycle.self = cycle;

/** Data JSON cannot encode, each its own way. */
const UNENCODABLE: Array<[string, unknown]> = [
  ['a BigInt', { total: 10n }],
  ['a cycle', cycle],
];

/** Whether a promise has settled once the microtasks now queued have run (no timer involved). */
async function settledAtOnce(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 3; i++) await Promise.resolve();
  return settled;
}

describe.each(UNENCODABLE)('unencodable data (%s)', (_, data) => {
  const session = useRunningApp();
  const watch = watchCrashes();
  const packet = { event: 'bad', data };

  async function start(): Promise<{ client: PacketClient; kws: Kws; log: EventLog }> {
    session.running = await startApp(hostileApp({ requestTimeout: 200 }));
    const log = session.running.app.get(EventLog);
    const client = await PacketClient.open(session.running.wsUrl('/ws'));
    session.clients.push(client.raw);
    const [connected] = await eventually(
      () => log.named(KwsEvent.Connect),
      (events) => events.length === 1,
    );
    return { client, kws: connected.kws, log };
  }

  const server = (): KwsServer => session.running!.app.get(KwsServer);

  it('kws.emit never throws: it returns false, fires one error event and sends nothing', async () => {
    const { client, kws, log } = await start();
    let sent: boolean | undefined;
    expect(() => (sent = kws.emit(packet))).not.toThrow();
    expect(sent).toBe(false);
    const errors = log.of(kws.uuid, KwsEvent.Error);
    expect(errors).toHaveLength(1);
    expect(errors[0].error).toBeInstanceOf(KwsEncodeError);
    expect(errors[0].error!.message).toMatch(/Could not encode the "bad" packet/);
    expect((errors[0].error as Error).cause).toBeInstanceOf(TypeError);
    // Nothing went out: the next message is the first the client gets.
    expect(kws.emit({ event: 'good', data: 1 })).toBe(true);
    expect(await client.nextPacket()).toEqual({ event: 'good', data: 1 });
    expect(await watch.settled()).toEqual([]);
  });

  it('an error listener that emits the same data again gets one error event, no endless recursion', async () => {
    const { kws, log } = await start();
    let calls = 0;
    server().on(KwsEvent.Error, ({ kws: failing }) => {
      calls++;
      failing.emit(packet);
    });
    expect(kws.emit(packet)).toBe(false);
    expect(calls).toBe(1);
    expect(log.of(kws.uuid, KwsEvent.Error)).toHaveLength(1);
    expect(await watch.settled()).toEqual([]);
  });

  it('kws.request rejects at once with KwsEncodeError and leaves nothing pending', async () => {
    const { client, kws, log } = await start();
    let request: Promise<unknown> | undefined;
    expect(() => (request = kws.request(packet))).not.toThrow();
    expect(await settledAtOnce(request!)).toBe(true);
    await expect(request).rejects.toBeInstanceOf(KwsEncodeError);
    expect(kws.pendingRequests).toBe(0);
    expect(server().stats().pendingRequests).toBe(0);
    expect(log.of(kws.uuid, KwsEvent.Error)).toHaveLength(1);
    // Nothing was written, and the id it would have used is free again.
    kws.emit({ event: 'good' });
    expect(await client.nextPacket()).toEqual({ event: 'good' });
    expect(await watch.settled()).toEqual([]);
  });

  it('KwsServer.request rejects at once with KwsEncodeError and leaves nothing pending', async () => {
    const { kws } = await start();
    const request = server().request(kws.uuid, packet);
    expect(await settledAtOnce(request)).toBe(true);
    await expect(request).rejects.toBeInstanceOf(KwsEncodeError);
    expect(kws.pendingRequests).toBe(0);
    expect(await watch.settled()).toEqual([]);
  });

  it("Kws's emitTo, emitToList, broadcast, broadcastTo reject with KwsEncodeError, each one error event, no throw", async () => {
    const { client, kws, log } = await start();
    kws.join('room');
    const calls: Array<() => Promise<unknown>> = [
      () => kws.emitTo(kws.uuid, packet),
      () => kws.emitToList([kws.uuid], packet),
      () => kws.broadcast(packet),
      () => kws.broadcastTo('room', packet),
    ];
    for (const call of calls) {
      let result: Promise<unknown> | undefined;
      expect(call).not.toThrow();
      expect(() => (result = call())).not.toThrow();
      await expect(result).rejects.toBeInstanceOf(KwsEncodeError);
    }
    // Each call made twice above: two error events per method.
    expect(log.of(kws.uuid, KwsEvent.Error)).toHaveLength(calls.length * 2);
    kws.emit({ event: 'good' });
    expect(await client.nextPacket()).toEqual({ event: 'good' });
    expect(await watch.settled()).toEqual([]);
  });

  it("KwsServer's emitTo, emitToList, broadcast, broadcastTo reject with KwsEncodeError", async () => {
    const { client, kws } = await start();
    kws.join('room');
    await expect(server().emitTo(kws.uuid, packet)).rejects.toBeInstanceOf(KwsEncodeError);
    await expect(server().emitToList([kws.uuid], packet)).rejects.toBeInstanceOf(KwsEncodeError);
    await expect(server().broadcast(packet)).rejects.toBeInstanceOf(KwsEncodeError);
    await expect(server().broadcastTo('room', packet)).rejects.toBeInstanceOf(KwsEncodeError);
    kws.emit({ event: 'good' });
    expect(await client.nextPacket()).toEqual({ event: 'good' });
    expect(await watch.settled()).toEqual([]);
  });
});
