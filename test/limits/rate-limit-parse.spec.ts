import { Injectable, Module } from '@nestjs/common';
import { MessageBody } from '@nestjs/websockets';
import { describe, expect, it, vi } from 'vitest';
import {
  JsonKwsParser,
  KwsModule,
  KwsServer,
  OnKwsEvent,
  type KwsModuleOptions,
  type KwsPacket,
} from '../../src/index.js';
import { scanDroppedEventId } from '../../src/transport/dropped-frame.id.js';
import { startApp } from '../helpers/start-app.js';
import { useRunningApp } from '../helpers/app-session.js';
import { connect, eventually } from '../helpers/ws-client.js';

@Injectable()
class FloodListeners {
  @OnKwsEvent('flood')
  flood(@MessageBody() data: unknown): unknown {
    return data;
  }
}

/** The built-in codec, counting its decodes. */
class CountingParser extends JsonKwsParser {
  decodes = 0;
  override decode(data: Buffer, isBinary: boolean): KwsPacket | undefined {
    this.decodes++;
    return super.decode(data, isBinary);
  }
}

function floodApp(options: KwsModuleOptions) {
  @Module({
    imports: [KwsModule.forRoot({ path: '/ws', ...options })],
    providers: [FloodListeners],
  })
  class FloodApp {}
  return FloodApp;
}

describe('rateLimit: a dropped frame costs no parse', () => {
  const session = useRunningApp({ restoreMocks: true });

  async function flood(options: KwsModuleOptions, frame: (i: number) => string, count: number) {
    session.running = await startApp(floodApp(options));
    const client = await connect(session.running.wsUrl('/ws'));
    session.clients.push(client);
    const server = session.running.app.get(KwsServer);
    for (let i = 1; i <= count; i++) client.send(frame(i));
    await eventually(
      () => server.stats().messages.in,
      (n) => n === count,
      10_000,
    );
    return { client, server };
  }

  it('parses only the admitted frames, and still answers dropped events with an id (last key) with 429', async () => {
    const parse = vi.spyOn(JSON, 'parse');
    const { client, server } = await flood(
      { parser: 'json', rateLimit: { messages: 5, per: 60_000 } },
      (id) =>
        JSON.stringify({ event: 'flood', data: { text: 'x'.repeat(200), nested: { id } }, id }),
      2_000,
    );
    await client.waitForCount(2_000);
    const parsedFloods = parse.mock.calls.filter(([text]) => String(text).includes('"flood"'));
    expect(parsedFloods).toHaveLength(5);
    expect(server.stats().rateLimit.drops).toBe(1_995);
    const acks = client.received.map((m) => JSON.parse(m.text)).sort((a, b) => a.ack - b.ack);
    expect(
      acks.slice(0, 5).every((ack, i) => ack.ack === i + 1 && ack.data.nested.id === i + 1),
    ).toBe(true);
    expect(acks[5]).toEqual({ ack: 6, error: { message: 'Too many requests', status: 429 } });
    expect(acks.filter((ack) => ack.error?.status === 429)).toHaveLength(1_995);
  });

  it('answers an id written first; an id elsewhere gets no answer (the ack timeout applies)', async () => {
    const { client, server } = await flood(
      { parser: 'json', rateLimit: { messages: 1, per: 60_000 } },
      (id) =>
        id % 2 === 0
          ? `{"id":${id},"event":"flood","data":1}`
          : `{"event":"flood","id":${id},"data":1}`,
      10,
    );
    // 1 passes (answered by the listener); of the 9 dropped, the 5 even ids are answered.
    await client.waitForCount(6);
    await eventually(
      () => server.stats().rateLimit.drops,
      (n) => n === 9,
    );
    const acks = client.received.map((m) => JSON.parse(m.text).ack).sort((a, b) => a - b);
    expect(acks).toEqual([1, 2, 4, 6, 8, 10]);
  });

  it('a parser of its own is not called for dropped frames (and they get no answer)', async () => {
    const parser = new CountingParser();
    const { client, server } = await flood(
      { parser, rateLimit: { messages: 3, per: 60_000 } },
      (id) => JSON.stringify({ event: 'flood', data: id, id }),
      500,
    );
    await client.waitForCount(3);
    expect(server.stats().rateLimit.drops).toBe(497);
    expect(parser.decodes).toBe(3);
    expect(client.received).toHaveLength(3);
  });
});

describe('scanDroppedEventId', () => {
  it.each([
    ['{"event":"a","data":1,"id":7}', 7],
    ['{"event":"a","id":2147483647}', 2 ** 31 - 1],
    ['{"id":12,"event":"a","data":{"id":3}}', 12],
    ['{"event":"a","data":{"id":7}}', undefined], // nested: a second brace
    ['{"event":"a","data":[{"id":7}]}', undefined],
    ['{"event":"a","data":"\\",\\"id\\":7}"}', undefined], // inside a string
    ['{"event":"a","id":2147483648}', undefined],
    ['{"event":"a","id":0}', undefined],
    ['{"event":"a","id":07}', undefined],
    ['{"ack":3,"id":7}', undefined],
    ['{"event":"a","id":7} ', undefined],
    ['not json,"id":7}', undefined],
    ['{"id":7}', undefined],
  ])('%s -> %s', (frame, id) => {
    expect(scanDroppedEventId(Buffer.from(frame))).toBe(id);
  });
});
