import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsChannels, KwsModule, KwsServer, OnKwsJoin } from '../../src/index.js';
import { channelsApp, leaves } from '../apps/channels.app.js';
import { ChannelPackets } from '../helpers/channel-packets.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';

describe('channels: client joins authorized by @OnKwsJoin, events, leaves, kicks', () => {
  let running: RunningApp;
  let channels: KwsChannels;

  beforeAll(async () => {
    running = await startApp(channelsApp({ channels: { maxPerConnection: 3, maxNameLength: 32 } }));
    channels = running.app.get(KwsChannels);
  });
  afterAll(() => running.app.close());

  const open = () => ChannelPackets.open(running.wsUrl('/ws'));

  it('a join runs the handler and answers with its reply, then the presence state', async () => {
    const client = await open();
    const ack = await client.join('room:1', { name: 'ann' });
    expect(ack).toEqual({ channel: 'room:1', ack: 1, data: { topic: 'room:1' } });
    const state = await client.waitFor((p) => p.event === 'kws:presence_state');
    const order = client.packets.map((p) => p.ack ?? p.event);
    expect(order).toEqual([1, 'kws:presence_state']);
    expect(state).toEqual({
      channel: 'room:1',
      event: 'kws:presence_state',
      data: { ann: { metas: [{ tab: '1', kws_ref: expect.any(String) }] } },
    });
    await client.close();
  });

  it('refusals carry a reason: a DTO failing ValidationPipe is a 400, a guard a 403, a thrown exception its own message', async () => {
    const client = await ChannelPackets.open(running.wsUrl('/ws?role=guest'));
    const bad = await client.join('room:2', { name: '' });
    expect(bad.channel).toBe('room:2');
    expect(bad.error.status).toBe(400);
    expect(bad.error.message).toContain('name must be longer than or equal to 1 characters');
    expect(await client.join('admin:x')).toMatchObject({
      error: { message: 'Forbidden resource', status: 403 },
    });
    expect(await client.join('room:closed', { name: 'ann' })).toMatchObject({
      error: { message: 'This room is closed', status: 403 },
    });
    expect(await client.join('room:nobody', { name: 'ann' })).toMatchObject({
      error: { message: 'Join refused', status: 403 },
    });
    expect(await client.join('lobby', {})).toMatchObject({
      error: { message: 'No channel matches "lobby"', status: 404 },
    });
    // Refused joins leave no membership behind: a channel event is refused as from a stranger.
    expect(
      await client.ask({ channel: 'room:2', event: 'say', data: { text: 'x' } }),
    ).toMatchObject({
      error: { message: 'Not a member of channel "room:2"', status: 403 },
    });
    const admin = await ChannelPackets.open(running.wsUrl('/ws?role=admin'));
    expect(await admin.join('admin:x')).toEqual({ channel: 'admin:x', ack: 1 });
    await Promise.all([client.close(), admin.close()]);
  });

  it('several channels share one socket; a channel event reaches only its members, and never connection-level listeners', async () => {
    const a = await open();
    const b = await open();
    await a.join('room:m1', { name: 'a' });
    await a.join('room:m2', { name: 'a' });
    await b.join('room:m2', { name: 'b' });
    expect(await a.ask({ channel: 'room:m1', event: 'say', data: { text: 'one' } })).toEqual({
      channel: 'room:m1',
      ack: 3,
      data: { ok: true },
    });
    expect(await b.ask({ channel: 'room:m2', event: 'say', data: { text: 'two' } })).toMatchObject({
      data: { ok: true },
    });
    // The same event name without `channel` is a connection-level event.
    expect(await a.ask({ event: 'say', data: { text: 'conn' } })).toEqual({
      ack: 4,
      data: 'connection-level say',
    });
    await b.waitFor((p) => p.event === 'said');
    await eventually(
      () => a.of('room:m2', 'said').length,
      (n) => n === 1,
    );
    expect(a.of('room:m1', 'said').map((p) => p.data)).toEqual([{ from: 'a', text: 'one' }]);
    expect(a.of('room:m2', 'said').map((p) => p.data)).toEqual([{ from: 'b', text: 'two' }]);
    expect(b.of('room:m1')).toEqual([]);
    expect(b.of('room:m2', 'said').map((p) => p.data)).toEqual([{ from: 'b', text: 'two' }]);
    await Promise.all([a.close(), b.close()]);
  });

  it('leave, disconnect and a server kick are symmetric: membership goes, @OnKwsLeave runs with the reason', async () => {
    const client = await open();
    const uuid = (await eventually(
      () => [...channels['context'].pool.values()].at(-1)?.uuid,
      Boolean,
    ))!;
    await client.join('room:l1', { name: 'l' });
    await client.join('room:l2', { name: 'l' });
    await client.join('room:l3', { name: 'l' });
    expect(await channels.members('room:l1')).toEqual([uuid]);

    expect(await client.ask({ channel: 'room:l1', event: 'kws:leave' })).toEqual({
      channel: 'room:l1',
      ack: 4,
    });
    expect(await channels.members('room:l1')).toEqual([]);
    expect(leaves).toContain(`${uuid} room:l1 left`);

    await channels.unsubscribe(uuid, 'room:l2', 'spamming');
    expect(await client.waitFor((p) => p.event === 'kws:kicked')).toEqual({
      channel: 'room:l2',
      event: 'kws:kicked',
      data: { reason: 'spamming' },
    });
    expect(leaves).toContain(`${uuid} room:l2 removed`);
    expect(
      await client.ask({ channel: 'room:l2', event: 'say', data: { text: 'x' } }),
    ).toMatchObject({
      error: { status: 403 },
    });

    await client.close();
    await eventually(
      () => leaves,
      (all) => all.includes(`${uuid} room:l3 disconnected`),
    );
    expect(await channels.members('room:l3')).toEqual([]);
  });

  it('KwsChannels.subscribe joins a connection without a handler; the client is told and gets the state', async () => {
    const client = await open();
    const uuid = (await eventually(
      () => [...channels['context'].pool.values()].at(-1)?.uuid,
      Boolean,
    ))!;
    // KwsServer.subscribe is KwsChannels.subscribe.
    await running.app.get(KwsServer).subscribe(uuid, 'news');
    expect(await client.waitFor((p) => p.event === 'kws:join')).toEqual({
      channel: 'news',
      event: 'kws:join',
      data: {},
    });
    await client.waitFor((p) => p.event === 'kws:presence_state' && p.channel === 'news');
    await channels.broadcast('news', 'headline', 'hi');
    expect(await client.waitFor((p) => p.event === 'headline')).toEqual({
      channel: 'news',
      event: 'headline',
      data: 'hi',
    });
    await client.close();
  });

  it('bounds: a channel name past maxNameLength is a 400, a join past maxPerConnection a 429 (joins in flight count)', async () => {
    const client = await open();
    expect(await client.join('room:' + 'x'.repeat(40), { name: 'b' })).toMatchObject({
      error: { message: 'A channel name is a string of 1 to 32 characters', status: 400 },
    });
    expect(await client.join('', { name: 'b' })).toMatchObject({ error: { status: 400 } });
    // Four joins at once: three fit, the fourth is refused even though none has finished yet.
    const acks = await Promise.all(
      ['room:b1', 'room:b2', 'room:b3', 'room:b4'].map((c) => client.join(c, { name: 'b' })),
    );
    expect(acks.filter((ack) => ack.error === undefined)).toHaveLength(3);
    expect(acks[3]).toMatchObject({
      error: {
        message: 'Too many channels: a connection may be in 3 at once (channels.maxPerConnection)',
        status: 429,
      },
    });
    // Reserved events of the protocol are not channel events.
    expect(await client.ask({ channel: 'room:b1', event: 'kws:presence_diff' })).toMatchObject({
      error: { status: 404 },
    });
    await client.close();
  });

  it('a bad channels option fails at bootstrap, naming the option', async () => {
    const module = await Test.createTestingModule({
      imports: [KwsModule.forRoot({ parser: 'json', channels: { maxPerConnection: 0 } })],
    })
      .compile()
      .catch((error: Error) => error);
    const error = module instanceof Error ? module : await module.init().catch((e: Error) => e);
    expect(String(error)).toContain('channels.maxPerConnection');
  });

  it('a bad history option of a join handler fails at bootstrap, naming it', async () => {
    class BadHistory {
      @OnKwsJoin('bad:*', { history: { size: 0 } })
      join(): boolean {
        return true;
      }
    }
    const module = await Test.createTestingModule({
      imports: [KwsModule.forRoot({ parser: 'json' })],
      providers: [BadHistory],
    }).compile();
    await expect(module.init()).rejects.toThrow("@OnKwsJoin('bad:*') history.size");
  });
});
