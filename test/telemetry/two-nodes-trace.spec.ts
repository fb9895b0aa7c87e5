import { SpanKind, context, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { KwsClient } from '../../src/client/index.js';
import { chromiumMissing, launchChromium } from '../browser/chromium.js';
import { ClusterClient } from '../cluster/cluster-client.js';
import { startInProcessNode, startProcessNode } from '../cluster/cluster-nodes.js';
import { useTwoNodes } from '../cluster/two-nodes.js';
import { testRedisUrl } from '../helpers/redis-server.js';
import { PacketClient } from '../helpers/packet-client.js';
import { parentOf, useOtelSdk } from './otel-sdk.js';
import { traceWaterfall } from './trace-waterfall.js';

const spans = useOtelSdk();
// Two nodes in this process (one exporter sees both), one Redis between them: the trace context
// crosses as bytes in the cluster message, not through this process's async context.
const cluster = useTwoNodes({ parser: 'json', tracing: true });
const clients: PacketClient[] = [];

beforeAll(() => {
  for (const node of cluster.nodes) node.server.on('whoami', ({ kws }) => kws.uuid);
  // On node A: broadcasts what it is sent to everyone else (every node).
  cluster.nodes[0].server.on('shout', async ({ kws, data }) => {
    await kws.broadcast({ event: 'news', data }, true);
    return 'sent';
  });
});

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

describe('a picture of a trace across two nodes', () => {
  it('renders a browser click → node A → node B trace (test-output/trace-two-nodes.png)', async () => {
    const [a] = cluster.nodes;
    const receiver = await clientOf(1);
    const sender = new KwsClient(a.url, { WebSocket: WebSocket as never });
    try {
      // Open first, so the click's span is the round trip and not the connection too.
      await new Promise<void>((resolve) => {
        const stop = sender.onState(({ state }) => {
          if (state !== 'open') return;
          stop();
          resolve();
        });
      });
      const click = trace.getTracer('browser').startSpan('click "send"', {
        kind: SpanKind.CLIENT,
      });
      const reply = await context.with(trace.setSpan(context.active(), click), () =>
        sender.request('shout', 'hello from a browser'),
      );
      click.end();
      expect(reply).toBe('sent');
      await receiver.client.nextPacket();
      const traceId = click.spanContext().traceId;
      const inTrace = spans.all().filter((span) => span.spanContext().traceId === traceId);
      // click → process shout (A) → create broadcast (A) → process broadcast (B)
      const handled = childOf(spans.one('click "send"'), 'process shout');
      childOf(childOf(handled, 'create broadcast'), 'process broadcast');
      const where = (span: ReadableSpan): string =>
        span.name.startsWith('click')
          ? 'client (browser)'
          : span.name === 'process broadcast'
            ? 'node B'
            : 'node A';
      const html = traceWaterfall(inTrace, where);
      mkdirSync('test-output', { recursive: true });
      writeFileSync('test-output/trace-two-nodes.html', html);
      const missing = chromiumMissing();
      if (missing) {
        console.warn(missing);
        return;
      }
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1140, height: 300 } });
        await page.setContent(html);
        expect(await page.locator('.row').count()).toBe(inTrace.length);
        await page.locator('body').screenshot({ path: 'test-output/trace-two-nodes.png' });
        // docs/trace-two-nodes.png is a copy of this file (KWS_UPDATE_DOCS=1 refreshes it).
        if (process.env.KWS_UPDATE_DOCS === '1') {
          copyFileSync('test-output/trace-two-nodes.png', 'docs/trace-two-nodes.png');
        }
      } finally {
        await browser.close();
      }
    } finally {
      sender.close();
    }
  });
});

describe('a node with tracing off, in a process of its own', () => {
  let redis: { url: string; stop(): Promise<void> };
  let tracing: Awaited<ReturnType<typeof startInProcessNode>>;
  let plain: Awaited<ReturnType<typeof startProcessNode>>;
  beforeAll(async () => {
    redis = await testRedisUrl();
    const keyPrefix = `kws-test-${randomUUID()}`;
    tracing = await startInProcessNode({ redis: redis.url, keyPrefix }, { tracing: true });
    plain = await startProcessNode(redis.url, keyPrefix);
  });
  afterAll(async () => {
    await Promise.all([tracing?.stop(), plain?.stop()]);
    await redis?.stop();
  });

  it('delivers what a tracing node stamped with its trace context (built library, no SDK there)', async () => {
    const receiver = await ClusterClient.open(plain.url);
    try {
      // An answer proves `connect` accepted it (a broadcast skips connections still opening).
      await receiver.ask('whoami');
      const root = trace.getTracer('test').startSpan('admin action');
      await context.with(trace.setSpan(context.active(), root), () =>
        tracing.server.broadcast('hello from a tracing node'),
      );
      root.end();
      // The message left with a trace trailer...
      const created = childOf(spans.one('admin action'), 'create broadcast');
      expect(created.kind).toBe(SpanKind.PRODUCER);
      // ...and the node without tracing read it as usual.
      expect(await receiver.waitForMessages(1)).toEqual(['hello from a tracing node']);
      expect(await receiver.ask('stats')).toContain('"unreadableMessages":0');
    } finally {
      receiver.terminate();
    }
  });
});
