import { Injectable, Module } from '@nestjs/common';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { KwsEvent, KwsModule, KwsServer, OnKwsEvent } from '../../src/index.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

/** The `resume` listener waits for the test: the resume's checks are still deciding meanwhile. */
@Injectable()
class SlowResume {
  gate: Promise<void> = Promise.resolve();
  entered: () => void = () => undefined;

  @OnKwsEvent(KwsEvent.Resume)
  async resume(): Promise<void> {
    this.entered();
    await this.gate;
  }
}

@Module({
  imports: [KwsModule.forRoot({ path: '/ws', parser: 'json', recovery: {} })],
  providers: [SlowResume],
})
class ResumeFanOutModule {}

/** Collects the JSON packets a raw socket receives. */
function packets(socket: WebSocket): any[] {
  const received: any[] = [];
  socket.on('message', (data) => received.push(JSON.parse(data.toString())));
  return received;
}

describe('a broadcast sent while a resume is deciding', () => {
  let running: RunningApp | undefined;

  afterEach(async () => {
    await running?.app.close();
    running = undefined;
  });

  it('is kept for the session and delivered once the resume is accepted (it was skipped: lost)', async () => {
    running = await startApp(ResumeFanOutModule);
    const server = running.app.get(KwsServer);
    const slow = running.app.get(SlowResume);
    const first = new WebSocket(running.wsUrl('/ws'));
    const [hello] = (await once(first, 'message')) as [Buffer];
    const { session } = JSON.parse(hello.toString());
    first.terminate(); // a network loss: the session is suspended
    await new Promise((resolve) => setTimeout(resolve, 50));

    let release!: () => void;
    slow.gate = new Promise<void>((resolve) => (release = resolve));
    const entered = new Promise<void>((resolve) => (slow.entered = resolve));
    const second = new WebSocket(running.wsUrl('/ws'), [
      'kws',
      `kws-resume.${session.token}`,
      'kws-offset.',
    ]);
    const received = packets(second);
    await entered; // the resume's checks are running: the connection is opening
    await server.broadcast({ event: 'news', data: 'during the resume' });
    release();
    // The session packet, then the kept broadcast: wait for two packets (or 2 s).
    const deadline = Date.now() + 2_000;
    while (received.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(received[0].session).toMatchObject({ uuid: session.uuid, recovered: true });
    expect(received.filter((p) => p.event === 'news')).toEqual([
      { event: 'news', data: 'during the resume', offset: expect.any(String) },
    ]);
    second.close();
  });
});
