import { describe, expect, it } from 'vitest';
import {
  KwsEvent,
  KwsInvalidConnectionError,
  KwsMessageType,
  KwsUnreachedError,
} from '../../src/index.js';
import { useEchoUsers } from '../helpers/echo-users.js';
import { eventually } from '../helpers/ws-client.js';

describe('messaging', () => {
  const users = useEchoUsers();
  const open = (count: number) => users.open(count);

  it('fires message per frame with its data and isBinary', async () => {
    const {
      clients: [client],
    } = await open(1);
    client.send('hello');
    client.send(Buffer.from([0, 1, 2, 255]));
    expect((await client.next()).text).toBe('echo:hello');
    const binary = await client.next();
    expect(binary.isBinary).toBe(true);
    expect([...binary.data]).toEqual([0, 1, 2, 255]);
    const [text, bytes] = users.log.named(KwsEvent.Message);
    expect(text.data.toString()).toBe('hello');
    expect(text.isBinary).toBe(false);
    expect(bytes.isBinary).toBe(true);
  });

  it('answers 2,000 parallel clients, each with its own reply', async () => {
    const { clients: many } = await open(2_000);
    many.forEach((client, i) => client.send(`ping-${i}`));
    const replies = await Promise.all(many.map((client) => client.next(15_000)));
    replies.forEach((reply, i) => expect(reply.text).toBe(`echo:ping-${i}`));
  });

  it('broadcast reaches 2,000 clients exactly once each', async () => {
    const { clients: many } = await open(2_000);
    await users.server.broadcast('to everyone');
    await Promise.all(many.map((client) => client.waitForCount(1, 15_000)));
    // Anything duplicated would have arrived with the marker that follows.
    await users.server.broadcast('marker');
    await Promise.all(many.map((client) => client.waitForCount(2, 15_000)));
    for (const client of many) {
      expect(client.received.map((m) => m.text)).toEqual(['to everyone', 'marker']);
    }
  });

  it('kws.broadcast(data, true) skips the sender; without except it includes it', async () => {
    const { clients: three, kws } = await open(3);
    await kws[0].broadcast('news', true);
    await three[1].waitForCount(1);
    await three[2].waitForCount(1);
    await kws[0].broadcast('all');
    await Promise.all(three.map((client) => client.waitForCount(client === three[0] ? 1 : 2)));
    expect(three[0].received.map((m) => m.text)).toEqual(['all']);
    expect(three[1].received.map((m) => m.text)).toEqual(['news', 'all']);
  });

  it('KwsServer.broadcast honours except and the frame type', async () => {
    const { clients: two, kws } = await open(2);
    await users.server.broadcast(Buffer.from('bytes as text'), {
      except: kws[1].uuid,
      type: KwsMessageType.Text,
    });
    await users.server.broadcast('last');
    const first = await two[0].next();
    expect(first.isBinary).toBe(false);
    expect(first.text).toBe('bytes as text');
    expect((await two[1].next()).text).toBe('last');
  });

  it('emitTo an alive uuid delivers; unknown and dead uuids fail with KwsInvalidConnectionError', async () => {
    const { clients: two, kws } = await open(2);
    await kws[0].emitTo(kws[1].uuid, 'direct');
    expect((await two[1].next()).text).toBe('direct');

    await expect(users.server.emitTo('no-such-uuid', 'x')).rejects.toBeInstanceOf(
      KwsInvalidConnectionError,
    );
    await expect(kws[0].emitTo('no-such-uuid', 'x')).rejects.toMatchObject({
      uuid: 'no-such-uuid',
    });

    const deadUuid = kws[1].uuid;
    await two[1].close();
    await eventually(
      () => users.server.get(deadUuid),
      (found) => found === undefined,
    );
    await expect(users.server.emitTo(deadUuid, 'x')).rejects.toBeInstanceOf(
      KwsInvalidConnectionError,
    );

    // kws.emitTo reports each failure on the sender as an `error` event, with the data.
    const errors = users.log.of(kws[0].uuid, KwsEvent.Error);
    expect(errors).toHaveLength(1);
    expect(errors[0].error).toBeInstanceOf(KwsInvalidConnectionError);
    expect(errors[0].data.toString()).toBe('x');
  });

  it('an emitTo nobody awaits does not crash the process', async () => {
    const { kws } = await open(1);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    void kws[0].emitTo('ghost', 'lost');
    await eventually(
      () => users.log.of(kws[0].uuid, KwsEvent.Error),
      (errors) => errors.length === 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  it('emitToList reaches the live uuids and reports the failed ones in one error event', async () => {
    const { clients: three, kws } = await open(3);
    const failed = await kws[0].emitToList(
      [kws[1].uuid, 'ghost-1', kws[2].uuid, 'ghost-2'],
      'list',
    );
    expect(failed).toEqual(['ghost-1', 'ghost-2']);
    expect((await three[1].next()).text).toBe('list');
    expect((await three[2].next()).text).toBe('list');
    const errors = users.log.of(kws[0].uuid, KwsEvent.Error);
    expect(errors).toHaveLength(1);
    expect(errors[0].error).toBeInstanceOf(KwsUnreachedError);
    expect(errors[0].error).toMatchObject({
      operation: 'emitToList',
      uuids: ['ghost-1', 'ghost-2'],
    });
    expect(errors[0].data.toString()).toBe('list');
    expect(await users.server.emitToList([kws[1].uuid], 'server list')).toEqual([]);
    expect((await three[1].next()).text).toBe('server list');
  });

  it('KwsServer.fire runs the listener once per connection (10 connections, 10 runs)', async () => {
    const { kws } = await open(10);
    await users.server.fire('custom', 'payload');
    const fired = users.log.named('custom');
    expect(fired).toHaveLength(10);
    expect(new Set(fired.map((e) => e.socketUUID))).toEqual(new Set(kws.map((k) => k.uuid)));
    expect(fired.every((e) => e.data.toString() === 'payload')).toBe(true);
  });

  it('kws.fire runs a custom event for that connection only', async () => {
    const { clients: two, kws } = await open(2);
    two[0].send('fire:custom');
    await eventually(
      () => users.log.named('custom'),
      (events) => events.length === 1,
    );
    const [event] = users.log.named('custom');
    expect(event.socketUUID).toBe(kws[0].uuid);
    expect(event.data.toString()).toBe('fired');
  });

  it('emit after close never throws and reports false', async () => {
    const {
      clients: [client],
      kws,
    } = await open(1);
    kws[0].close();
    expect(kws[0].emit('late')).toBe(false);
    await client.closed;
    expect(kws[0].emit('later')).toBe(false);
    expect(kws[0].isAlive()).toBe(false);
  });

  it('emit chooses text for strings and binary for bytes unless told otherwise', async () => {
    const {
      clients: [client],
      kws,
    } = await open(1);
    kws[0].emit('text');
    kws[0].emit(new Uint8Array([1, 2]));
    kws[0].emit('forced binary', KwsMessageType.Binary);
    const kinds = await Promise.all([client.next(), client.next(), client.next()]);
    expect(kinds.map((m) => m.isBinary)).toEqual([false, true, true]);
    expect([...kinds[1].data]).toEqual([1, 2]);
  });
});
