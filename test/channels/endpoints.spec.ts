import { Injectable, Module } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InjectKwsChannels,
  InjectKwsPresence,
  KwsChannels,
  KwsModule,
  KwsPresence,
  OnKwsEndpoint,
  OnKwsJoin,
  type Kws,
} from '../../src/index.js';
import { ChannelPackets } from '../helpers/channel-packets.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

@Injectable()
@OnKwsEndpoint('admin')
class AdminRooms {
  constructor(@InjectKwsPresence('admin') private readonly presence: KwsPresence) {}

  @OnKwsJoin('ops:*')
  join({ kws, channel }: { kws: Kws; channel: string }): boolean {
    this.presence.track(kws, channel, 'operator');
    return true;
  }
}

@Injectable()
class Channels {
  constructor(
    readonly main: KwsChannels,
    @InjectKwsChannels('admin') readonly admin: KwsChannels,
  ) {}
}

@Module({
  imports: [
    KwsModule.forRoot({ path: '/ws', parser: 'json' }),
    KwsModule.forRoot({ name: 'admin', path: '/admin', parser: 'json' }),
  ],
  providers: [AdminRooms, Channels],
})
class TwoEndpointsModule {}

describe('channels of several endpoints', () => {
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp(TwoEndpointsModule);
  });
  afterAll(() => running.app.close());

  it("each endpoint has its own channels and presence; a handler serves its endpoint's only", async () => {
    const user = await ChannelPackets.open(running.wsUrl('/ws'));
    const admin = await ChannelPackets.open(running.wsUrl('/admin'));
    expect(await user.join('ops:1')).toMatchObject({ error: { status: 404 } });
    expect(await admin.join('ops:1')).toEqual({ channel: 'ops:1', ack: 1 });
    const state = await admin.waitFor((p) => p.event === 'kws:presence_state');
    expect(Object.keys(state.data)).toEqual(['operator']);
    const channels = running.app.get(Channels);
    expect(channels.main).not.toBe(channels.admin);
    await channels.admin.broadcast('ops:1', 'alert', 'disk full');
    expect(await admin.waitFor((p) => p.event === 'alert')).toMatchObject({ data: 'disk full' });
    expect(await channels.main.members('ops:1')).toEqual([]);
    await Promise.all([user.close(), admin.close()]);
  });
});
