import { Injectable, Logger, Module } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import {
  KwsEvent,
  KwsModule,
  KwsServer,
  KwsUnreachedError,
  OnKwsEvent,
  type KwsEventPayload,
} from '../../src/index.js';
import { FailureLogLimiter } from '../../src/events/failure.log-limiter.js';
import { EventLog } from '../apps/event-log.js';
import { startApp } from '../helpers/start-app.js';
import { useRunningApp } from '../helpers/app-session.js';
import { connect, connectMany, eventually } from '../helpers/ws-client.js';

/**
 * "storm N": closes N other connections and broadcasts in the same turn (they are still in the
 * pool, but no longer writable). "ghosts N": emitToList to N unknown uuids. "boom": throws.
 */
@Injectable()
class StormListeners {
  constructor(
    private readonly log: EventLog,
    private readonly server: KwsServer,
  ) {}

  @OnKwsEvent(KwsEvent.Message)
  async message({ kws, data }: KwsEventPayload): Promise<void> {
    const [command, count] = data.toString().split(' ');
    if (command === 'boom') throw new Error('listener failed');
    const n = Number(count);
    if (command === 'storm') {
      let closed = 0;
      for (const other of this.server.connections()) {
        if (other !== kws && closed++ < n) other.close();
      }
      await kws.broadcast('news', true);
      kws.emit('storm done');
    } else if (command === 'ghosts') {
      const failed = await kws.emitToList(
        Array.from({ length: n }, (_, i) => `ghost-${i}`),
        'hello?',
      );
      kws.emit(`ghosts done ${failed.length}`);
    }
  }

  @OnKwsEvent(KwsEvent.Error)
  error(payload: KwsEventPayload): void {
    this.log.record(payload);
  }
}

@Module({
  imports: [KwsModule.forRoot({ path: '/ws' })],
  providers: [EventLog, StormListeners],
})
class StormAppModule {}

describe('error-event storms', () => {
  const session = useRunningApp({ restoreMocks: true });
  const { clients } = session;

  async function start(): Promise<EventLog> {
    session.running = await startApp(StormAppModule);
    return session.running.app.get(EventLog);
  }

  it('a broadcast that misses many recipients fires one error event listing them', async () => {
    const log = await start();
    const sender = await connect(session.running!.wsUrl('/ws'));
    const others = await connectMany(() => session.running!.wsUrl('/ws'), 60);
    clients.push(sender, ...others);
    const server = session.running!.app.get(KwsServer);
    await eventually(
      () => server.localCount,
      (n) => n === 61,
    );
    sender.send('storm 40');
    expect((await sender.next()).text).toBe('storm done');
    const errors = log.named(KwsEvent.Error);
    expect(errors).toHaveLength(1);
    const error = errors[0].error as KwsUnreachedError;
    expect(error).toBeInstanceOf(KwsUnreachedError);
    expect(error.operation).toBe('broadcast');
    expect(error.uuids).toHaveLength(40);
    expect(error.message).toMatch(
      /^40 recipient\(s\) of broadcast could not be reached: .*, and 35 more\.$/,
    );
    expect(errors[0].data.toString()).toBe('news');
  });

  it('emitToList to 1,000 unknown uuids fires one error event', async () => {
    const log = await start();
    const sender = await connect(session.running!.wsUrl('/ws'));
    clients.push(sender);
    sender.send('ghosts 1000');
    expect((await sender.next()).text).toBe('ghosts done 1000');
    const errors = log.named(KwsEvent.Error);
    expect(errors).toHaveLength(1);
    expect((errors[0].error as KwsUnreachedError).uuids).toHaveLength(1_000);
  });

  it('a listener failing on every message logs its stack once, and counts the rest', async () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const log = await start();
    const sender = await connect(session.running!.wsUrl('/ws'));
    clients.push(sender);
    for (let i = 0; i < 200; i++) sender.send('boom');
    await eventually(
      () => log.named(KwsEvent.Error).length,
      (n) => n === 200,
    );
    // Every failure is still an error event; only the log is limited.
    expect(logged).toHaveBeenCalledTimes(1);
    expect(String(logged.mock.calls[0][1])).toContain('listener failed');
  });
});

describe('the listener-failure log limiter', () => {
  it('reports how many repeats it held back once the window ends, then logs the next in full', async () => {
    const limiter = new FailureLogLimiter(40);
    const listener = {};
    const error = new Error('same');
    let summary: (count: number) => void = () => undefined;
    const held = new Promise<number>((resolve) => (summary = resolve));
    expect(limiter.admit(listener, error, summary)).toBe(true);
    expect(limiter.admit(listener, error, summary)).toBe(false);
    expect(limiter.admit(listener, error, summary)).toBe(false);
    // Another error of the same listener is its own kind.
    expect(limiter.admit(listener, new Error('other'), summary)).toBe(true);
    expect(await held).toBe(2);
    expect(limiter.admit(listener, error, summary)).toBe(true);
  });
});
