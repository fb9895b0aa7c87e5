import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { KwsClient } from '../../src/client/index.js';
import { KwsServer, KwsTimeoutError } from '../../src/index.js';
import { PacketClient } from '../helpers/packet-client.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { connect } from '../helpers/ws-client.js';
import { parentOf, useOtelSdk } from './otel-sdk.js';
import { tracedApp } from './traced.app.js';

const spans = useOtelSdk();
let running: RunningApp;
let server: KwsServer;

beforeAll(async () => {
  running = await startApp(tracedApp());
  server = running.app.get(KwsServer);
});

afterAll(() => running.app.close());

/** A packet client whose connection is accepted (its connect span ended) once this resolves. */
async function openClient(): Promise<PacketClient> {
  const client = await PacketClient.open(running.wsUrl('/ws'));
  // The first ack proves `connect` decided (frames wait for the decision).
  await client.ask('echo', 'ready');
  return client;
}

describe('tracing: true, with an SDK registered', () => {
  it('traces the connect decision: a SERVER span, accepted, parent of spans made in a connect listener', async () => {
    const client = await openClient();
    const connect = spans.one('connect /ws');
    expect(connect.kind).toBe(SpanKind.SERVER);
    expect(connect.attributes['kws.connect.outcome']).toBe('accepted');
    expect(connect.attributes['kws.connection.uuid']).toBe([...server.connections()][0].uuid);
    const child = spans.one('load profile');
    expect(parentOf(child)).toBe(connect.spanContext().spanId);
    expect(child.spanContext().traceId).toBe(connect.spanContext().traceId);
    await client.close();
  });

  it('traces a refused connect: outcome refused and the close code (1008 for a Nest exception)', async () => {
    const refused = await connect(running.wsUrl('/ws?deny=1'));
    expect((await refused.closed).code).toBe(1008);
    const span = spans.one('connect /ws');
    expect(span.attributes['kws.connect.outcome']).toBe('refused');
    expect(span.attributes['kws.close.code']).toBe(1008);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('traces each handled event: a CONSUMER process span with messaging attributes and the ack status', async () => {
    const client = await openClient();
    const ack = await client.ask('echo', { hello: 'world' });
    expect(ack.data).toEqual({ hello: 'world' });
    const span = spans
      .named('process echo')
      .find((s) => s.attributes['messaging.message.id'] === String(ack.ack))!;
    expect(span.kind).toBe(SpanKind.CONSUMER);
    expect(span.attributes).toMatchObject({
      'messaging.system': 'kws',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'echo',
      'messaging.message.id': String(ack.ack),
      'kws.listeners': 1,
      'kws.ack.status': 200,
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    // The listener's own span is a child of the event's.
    const inside = spans
      .named('inside echo')
      .filter((s) => parentOf(s) === span.spanContext().spanId);
    expect(inside).toHaveLength(1);
    await client.close();
  });

  it('ends an async listener’s span when it settles, and names an unknown event without its name', async () => {
    const client = await openClient();
    await client.ask('slow', 1);
    expect(spans.one('process slow').attributes['kws.ack.status']).toBe(200);
    const unknown = await client.ask('no-such-event', 1);
    expect(unknown.error?.status).toBe(404);
    const span = spans.one('process (unknown event)');
    expect(span.attributes['kws.ack.status']).toBe(404);
    expect(span.attributes['kws.listeners']).toBe(0);
    await client.close();
  });

  it('marks a listener that throws: error status, the exception recorded, ack status 500', async () => {
    const client = await openClient();
    const ack = await client.ask('boom');
    expect(ack.error).toEqual({ message: 'Internal error', status: 500 });
    const span = spans.one('process boom');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['kws.ack.status']).toBe(500);
    expect(span.attributes['error.type']).toBe('Error');
    expect(span.events.find((event) => event.name === 'exception')?.attributes).toMatchObject({
      'exception.message': 'listener blew up',
    });
    // A Nest exception is an answer (403), not a failure of the server.
    await client.ask('forbidden');
    const refused = spans.one('process forbidden');
    expect(refused.attributes['kws.ack.status']).toBe(403);
    expect(refused.status.code).toBe(SpanStatusCode.UNSET);
    await client.close();
  });

  it('continues the trace of a client that sends a traceparent in the packet', async () => {
    const client = await openClient();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    client.raw.send(
      JSON.stringify({
        event: 'echo',
        data: 'traced',
        id: 99,
        trace: { traceparent: `00-${traceId}-${parentId}-01` },
      }),
    );
    expect((await client.nextPacket()).ack).toBe(99);
    const span = spans
      .named('process echo')
      .find((s) => s.attributes['messaging.message.id'] === '99')!;
    expect(span.spanContext().traceId).toBe(traceId);
    expect(parentOf(span)).toBe(parentId);
    await client.close();
  });

  it('ignores a malformed trace key: the event runs in a trace of its own', async () => {
    const client = await openClient();
    client.raw.send(JSON.stringify({ event: 'echo', data: 1, id: 7, trace: 'not-a-carrier' }));
    expect(await client.nextPacket()).toEqual({ ack: 7, data: 1 });
    client.raw.send(
      JSON.stringify({ event: 'echo', data: 2, id: 8, trace: { traceparent: 'garbage' } }),
    );
    expect(await client.nextPacket()).toEqual({ ack: 8, data: 2 });
    for (const span of spans.named('process echo')) expect(parentOf(span)).toBe('');
    await client.close();
  });

  it('the shipped client sends the active OpenTelemetry context (no OTel import of its own)', async () => {
    const client = new KwsClient(running.wsUrl('/ws'), { WebSocket: WebSocket as never });
    try {
      const tracer = trace.getTracer('browser-app');
      const clicked = tracer.startSpan('click send');
      const reply = await context.with(trace.setSpan(context.active(), clicked), () =>
        client.request('echo', 'from the client'),
      );
      clicked.end();
      expect(reply).toBe('from the client');
      const span = spans
        .named('process echo')
        .find((s) => parentOf(s) === clicked.spanContext().spanId);
      expect(span?.spanContext().traceId).toBe(clicked.spanContext().traceId);
    } finally {
      client.close();
    }
  });

  it('traces a request round trip: a CLIENT span ended by the ack (200), the error ack, or the timeout', async () => {
    const client = await openClient();
    const uuid = [...server.connections()].at(-1)!.uuid;
    const answered = server.request(uuid, { event: 'ask', data: 1 });
    const asked = await client.nextPacket();
    client.raw.send(JSON.stringify({ ack: asked.id, data: 'yes' }));
    expect(await answered).toBe('yes');
    const span = spans.one('send ask');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toMatchObject({
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'request',
      'messaging.destination.name': 'ask',
      'messaging.message.id': String(asked.id),
      'kws.ack.status': 200,
      'kws.connection.uuid': uuid,
    });

    const refused = server.request(uuid, { event: 'ask-refused' });
    const second = await client.nextPacket();
    client.raw.send(JSON.stringify({ ack: second.id, error: { message: 'no', status: 409 } }));
    await expect(refused).rejects.toThrow('no');
    const failed = spans.one('send ask-refused');
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.attributes['kws.ack.status']).toBe(409);

    await expect(server.request(uuid, { event: 'ask-late' }, { timeout: 50 })).rejects.toThrow(
      KwsTimeoutError,
    );
    const late = spans.one('send ask-late');
    expect(late.status.code).toBe(SpanStatusCode.ERROR);
    expect(late.attributes['error.type']).toBe('KwsTimeoutError');
    await client.close();
  });
});
