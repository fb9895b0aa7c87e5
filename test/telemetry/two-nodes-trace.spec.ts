import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { useTwoNodes } from '../cluster/two-nodes.js';
import { PacketClient } from '../helpers/packet-client.js';
import { parentOf, useOtelSdk } from './otel-sdk.js';

const spans = useOtelSdk();
// Two nodes in this process (one exporter sees both), one Redis between them: the trace context
// crosses as bytes in the cluster message, not through this process's async context.
const cluster = useTwoNodes({ parser: 'json', tracing: true });
const clients: PacketClient[] = [];

afterAll(async () => {
  for (const client of clients) client.raw.socket.terminate();
});

async function clientOf(node: number): Promise<{ client: PacketClient; uuid: string }> {
  const client = await PacketClient.open(cluster.nodes[node].url);
  clients.push(client);
  const { data: uuid } = await client.ask('whoami');
  return { client, uuid: uuid as string };
}

function childOf(parent: ReadableSpan, name: string): ReadableSpan {
  const children = spans
    .named(name)
    .filter((span) => parentOf(span) === parent.spanContext().spanId);
  expect(children, `one "${name}" span under "${parent.name}"`).toHaveLength(1);
  expect(children[0].spanContext().traceId).toBe(parent.spanContext().traceId);
  return children[0];
}

describe('a trace across two nodes', () => {
  it('a broadcast from a listener on node A shows on node B as a child of A’s span', async () => {
    const [a, b] = cluster.nodes;
    for (const node of cluster.nodes) {
      node.server.on('whoami', ({ kws }) => kws.uuid);
    }
    a.server.on('shout', async ({ kws, data }) => {
      await kws.broadcast({ event: 'news', data }, true);
      return 'sent';
    });
    const sender = await clientOf(0);
    const receiver = await clientOf(1);
    expect((await sender.client.ask('shout', 'hello B')).data).toBe('sent');
    expect(await receiver.client.nextPacket()).toEqual({ event: 'news', data: 'hello B' });

    const handled = spans.one('process shout');
    const created = childOf(handled, 'create broadcast');
    expect(created.kind).toBe(SpanKind.PRODUCER);
    expect(created.attributes['kws.node']).toBe(a.broker.nodeId);
    const delivered = childOf(created, 'process broadcast');
    expect(delivered.kind).toBe(SpanKind.CONSUMER);
    expect(delivered.attributes).toMatchObject({
      'messaging.system': 'kws',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'broadcast',
      'kws.node': a.broker.nodeId,
    });
    expect(b.broker.nodeId).not.toBe(a.broker.nodeId);
  });

  it('an emitTo from node A to a client on node B', async () => {
    const [a] = cluster.nodes;
    a.server.on('tell', async ({ kws, data }) => {
      await kws.emitTo(data as string, { event: 'dm', data: 'psst' });
      return 'told';
    });
    const sender = await clientOf(0);
    const receiver = await clientOf(1);
    expect((await sender.client.ask('tell', receiver.uuid)).data).toBe('told');
    expect(await receiver.client.nextPacket()).toEqual({ event: 'dm', data: 'psst' });
    const created = childOf(spans.one('process tell'), 'create emitTo');
    childOf(created, 'process emitTo');
  });

  it('KwsServer.request from node A to a client on node B: one trace to the ack', async () => {
    const [a] = cluster.nodes;
    const receiver = await clientOf(1);
    const answer = a.server.request(receiver.uuid, { event: 'ask', data: 1 });
    const asked = await receiver.client.nextPacket();
    receiver.client.raw.send(JSON.stringify({ ack: asked.id, data: 'yes' }));
    expect(await answer).toBe('yes');

    const [onA, onB] = [...spans.named('send ask')].sort((x, y) =>
      parentOf(x) === '' ? -1 : parentOf(y) === '' ? 1 : 0,
    );
    expect(onA.kind).toBe(SpanKind.CLIENT);
    const created = childOf(onA, 'create request');
    const processed = childOf(created, 'process request');
    expect(parentOf(onB)).toBe(processed.spanContext().spanId);
    expect(onB.attributes['kws.ack.status']).toBe(200);
    expect(onA.attributes['kws.ack.status']).toBe(200);
  });
});
