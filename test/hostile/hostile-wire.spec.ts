import { describe, expect, it } from 'vitest';
import {
  KwsAckError,
  KwsEncodeError,
  KwsEvent,
  KwsProtocolError,
  KwsServer,
  type Kws,
  type KwsModuleOptions,
  type KwsPacket,
} from '../../src/index.js';
import { MAX_ACK_ERROR_MESSAGE_LENGTH } from '../../src/kws.constants.js';
import { EventLog } from '../apps/event-log.js';
import { useRunningApp } from '../helpers/app-session.js';
import { watchCrashes } from '../helpers/crash-watch.js';
import { PacketClient } from '../helpers/packet-client.js';
import { startApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';
import { hostileApp } from './hostile.app.js';

/** JSON nested `depth` arrays deep: JSON.parse reads it, JSON.stringify overflows the stack. */
function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

describe('values from the wire are read as hostile where they are read (server)', () => {
  const session = useRunningApp();
  const watch = watchCrashes();

  async function start(
    options: KwsModuleOptions = {},
  ): Promise<{ client: PacketClient; kws: Kws; log: EventLog }> {
    session.running = await startApp(hostileApp(options));
    const log = session.running.app.get(EventLog);
    const client = await PacketClient.open(session.running.wsUrl('/ws'));
    session.clients.push(client.raw);
    const [connected] = await eventually(
      () => log.named(KwsEvent.Connect),
      (events) => events.length === 1,
    );
    return { client, kws: connected.kws, log };
  }

  /** Has the server ask the client, and answers the question with `answer` (raw JSON text). */
  async function answerRequest(client: PacketClient, kws: Kws, answer: (id: number) => string) {
    const server = session.running!.app.get(KwsServer);
    const asked = server.request(kws.uuid, { event: 'question' });
    const question = await client.nextPacket();
    client.raw.send(answer(question.id!));
    return asked.catch((error: unknown) => error);
  }

  it('an error ack whose message has a toString that is not a function rejects the request, no crash', async () => {
    const { client, kws } = await start();
    const error = await answerRequest(
      client,
      kws,
      (id) => `{"ack":${id},"error":{"message":{"toString":1},"status":{"valueOf":1}}}`,
    );
    expect(error).toBeInstanceOf(KwsAckError);
    expect(error).toMatchObject({ message: 'Error', status: 500 });
    expect(await watch.settled()).toEqual([]);
    // The connection goes on: the next question is answered as usual.
    await expect(answerRequest(client, kws, (id) => `{"ack":${id},"data":7}`)).resolves.toBe(7);
  });

  it.each([
    ['a number message, a string status', { message: 42, status: '403' }, 'Error', 500],
    ['an array message, a huge status', { message: ['a'], status: 1e308 }, 'Error', 500],
    ['an empty message, a fractional status', { message: '', status: 403.5 }, 'Error', 500],
    ['a status under 100', { message: 'no', status: 99 }, 'no', 500],
    ['a status over 599', { message: 'no', status: 600 }, 'no', 500],
  ])(
    'an error ack with %s reads as a KwsAckError with sane fields',
    async (_, body, message, status) => {
      const { client, kws } = await start();
      const error = await answerRequest(client, kws, (id) =>
        JSON.stringify({ ack: id, error: body }),
      );
      expect(error).toBeInstanceOf(KwsAckError);
      expect(error).toMatchObject({ message, status });
      expect(await watch.settled()).toEqual([]);
    },
  );

  it(`an error ack's message is cut to ${MAX_ACK_ERROR_MESSAGE_LENGTH} characters`, async () => {
    const { client, kws } = await start();
    const error = await answerRequest(client, kws, (id) =>
      JSON.stringify({ ack: id, error: { message: 'x'.repeat(500_000), status: 400 } }),
    );
    expect(error).toBeInstanceOf(KwsAckError);
    expect((error as KwsAckError).message).toBe('x'.repeat(MAX_ACK_ERROR_MESSAGE_LENGTH));
    expect((error as KwsAckError).status).toBe(400);
    // A sane error is read as it came.
    const sane = await answerRequest(client, kws, (id) =>
      JSON.stringify({ ack: id, error: { message: 'cannot divide', status: 422 } }),
    );
    expect(sane).toMatchObject({ message: 'cannot divide', status: 422 });
  });

  it.each(['echo-response', 'echo-response-later'])(
    'deeply nested data echoed as a WsResponse by %s is an error event, not a crash; the connection goes on',
    async (event) => {
      const { client, kws, log } = await start();
      client.raw.send(`{"event":"${event}","data":${nested(100_000)}}`);
      const [failure] = await eventually(
        () => log.of(kws.uuid, KwsEvent.Error),
        (events) => events.length === 1,
      );
      expect(failure.error).toBeInstanceOf(KwsEncodeError);
      expect(failure.error!.message).toMatch(/Could not encode the "echoed" packet/);
      expect(await watch.settled()).toEqual([]);
      // With an id the client gets its answer, a 500, and the server one more error event.
      client.raw.send(`{"event":"echo","data":${nested(100_000)},"id":99}`);
      expect(await client.nextPacket()).toEqual({
        ack: 99,
        error: { message: 'Internal error', status: 500 },
      });
      expect(await client.ask('echo-response', 'small')).toEqual({
        ack: 1,
        data: { event: 'echoed', data: 'small' },
      });
      client.emit(event, 'small');
      expect(await client.nextPacket()).toEqual({ event: 'echoed', data: 'small' });
      expect(log.of(kws.uuid, KwsEvent.Error)).toHaveLength(2);
      expect(await watch.settled()).toEqual([]);
    },
  );

  it("a parser of the app's that decodes hostile bytes to null or a number is a protocol error, not a crash", async () => {
    // As a MessagePack codec would: nil decodes to null, a fixint to a number.
    const decoded: Record<string, unknown> = { nil: null, five: 5 };
    const parser = {
      decode: (data: Buffer): KwsPacket | undefined => {
        const text = data.toString();
        return (text in decoded ? decoded[text] : JSON.parse(text)) as KwsPacket;
      },
      encode: (packet: KwsPacket) => JSON.stringify(packet),
    } as unknown as KwsModuleOptions['parser'];
    const { client, kws, log } = await start({ parser });
    client.raw.send('nil');
    client.raw.send('five');
    const errors = await eventually(
      () => log.of(kws.uuid, KwsEvent.Error),
      (events) => events.length === 2,
    );
    expect(errors.map((e) => e.error)).toEqual([
      expect.any(KwsProtocolError),
      expect.any(KwsProtocolError),
    ]);
    expect(errors[0].error!.message).toBe('Malformed packet: a packet must be an object.');
    expect(await watch.settled()).toEqual([]);
    expect(await client.ask('echo', 'still here')).toEqual({ ack: 1, data: 'still here' });
  });
});
