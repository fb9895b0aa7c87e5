import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeClusterMessage } from '../../src/cluster/messages/cluster-message.codec.js';
import { ClusterMessageType } from '../../src/cluster/messages/cluster-message.js';
import { askUntil, ClusterClient } from '../cluster/cluster-client.js';
import { startInProcessNode } from '../cluster/cluster-nodes.js';
import { testRedisUrl } from '../helpers/redis-server.js';
import { eventually } from '../helpers/ws-client.js';
import { parentOf, useOtelSdk } from './otel-sdk.js';

const spans = useOtelSdk();

/**
 * A broadcast as another node would publish it, with `trailer` after it and the traced flag. Built
 * before any node of this file traces (while one does, the codec stamps trailers of its own).
 */
function stamped(text: string, trailer: Buffer): Buffer {
  const message = encodeClusterMessage({
    type: ClusterMessageType.Broadcast,
    origin: 'another-node',
    except: '',
    room: '',
    binary: false,
    data: Buffer.from(text),
  } as Parameters<typeof encodeClusterMessage>[0]);
  const traced = Buffer.concat([message, trailer]);
  traced[1] |= 0x80;
  return traced;
}

function trailerOf(json: string): Buffer {
  const body = Buffer.from(json);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(body.length);
  return Buffer.concat([body, length]);
}

const TOO_LONG = stamped('too-long', Buffer.of(0x7b, 0xff, 0xff));
const NOT_JSON = stamped('not-json', trailerOf('{"traceparent":'));
const AN_ARRAY = stamped('an array', trailerOf('[1,2]'));
const A_NUMBER = stamped('a number', trailerOf('{"traceparent":5}'));
const NULL = stamped('null', trailerOf('null'));

/** Hostile or broken trace trailers on the cluster channel: counted, never a crash or a loss. */
describe('cluster messages with a broken trace trailer', () => {
  let redis: { url: string; stop(): Promise<void> };
  let publisher: Redis;
  const keyPrefix = `kws-test-${randomUUID()}`;
  let node: Awaited<ReturnType<typeof startInProcessNode>>;
  let client: ClusterClient;

  beforeAll(async () => {
    redis = await testRedisUrl();
    publisher = new Redis(redis.url);
    node = await startInProcessNode({ redis: redis.url, keyPrefix }, { tracing: true });
    client = await ClusterClient.open(node.url);
    expect(await askUntil(client, 'count', (n) => n === '1')).toBe('1');
  });

  afterAll(async () => {
    client?.terminate();
    await node?.stop();
    publisher?.disconnect();
    await redis?.stop();
  });

  it('a trailer that does not fit or is not JSON: the message is unreadable, counted, and nothing else breaks', async () => {
    const channel = `${keyPrefix}:broadcast`;
    // A length past the message, then a length that fits but bytes that are not JSON.
    await publisher.publish(channel, TOO_LONG);
    await publisher.publish(channel, NOT_JSON);
    await eventually(
      () => node.broker.stats.unreadableMessages,
      (count) => count === 2,
    );
    expect(node.broker.stats.unreadableMessages).toBe(2);
    expect(await client.ask('broadcast after')).toBe('ok');
    expect(await client.waitForMessages(1)).toEqual(['after']);
  });

  it('a trailer that is JSON but not trace context: delivered, in a trace of its own', async () => {
    const channel = `${keyPrefix}:broadcast`;
    const before = client.messages().length;
    await publisher.publish(channel, AN_ARRAY);
    await publisher.publish(channel, A_NUMBER);
    await publisher.publish(channel, NULL);
    const received = await client.waitForMessages(before + 3);
    expect(received.slice(before)).toEqual(['an array', 'a number', 'null']);
    const processed = spans.named('process broadcast');
    expect(processed).toHaveLength(3);
    for (const span of processed) expect(parentOf(span)).toBe('');
    expect(node.broker.stats.unreadableMessages).toBe(2);
  });
});
