import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KwsAckError,
  KwsInvalidConnectionError,
  KwsServer,
  KwsTimeoutError,
} from '../../src/index.js';
import { namedEventsApp, Seen } from '../apps/named-events.app.js';
import { PacketClient } from '../helpers/packet-client.js';
import { startApp, type Platform, type RunningApp } from '../helpers/start-app.js';
import { connect, eventually } from '../helpers/ws-client.js';

describe.each<Platform>(['express', 'fastify'])(
  'named events and acknowledgements (%s)',
  (platform) => {
    let running: RunningApp;
    let seen: Seen;

    beforeAll(async () => {
      running = await startApp(
        namedEventsApp({ requestTimeout: 300, maxPendingRequests: 2 }),
        platform,
      );
      seen = running.app.get(Seen);
    });
    afterAll(() => running.app.close());

    const open = () => PacketClient.open(running.wsUrl('/ws'));

    it('acks with the listener return value, awaited when it is a promise', async () => {
      const client = await open();
      expect(await client.ask('echo', { a: [1, 'two'] })).toEqual({
        ack: 1,
        data: { a: [1, 'two'] },
      });
      expect(await client.ask('slow', 21)).toEqual({ ack: 2, data: 42 });
      expect(await client.ask('silent', 'x')).toEqual({ ack: 3 });
      expect(await client.ask('stream')).toEqual({ ack: 4, data: 3 }); // an Observable's last value
      await client.close();
    });

    it('runs a listener without an id and sends nothing back', async () => {
      const client = await open();
      client.emit('silent', { typed: true });
      await eventually(
        () =>
          seen.events.filter((e) => e.name === 'silent' && (e.data as { typed?: boolean })?.typed)
            .length,
        (n) => n === 1,
      );
      expect(await client.ask('echo', 'after')).toEqual({ ack: 1, data: 'after' });
      await client.close();
    });

    it('sends a returned { event, data } back to the sender when there is no id', async () => {
      const client = await open();
      client.emit('reply', 'hi');
      expect(await client.nextPacket()).toEqual({ event: 'replied', data: 're:hi' });
      await client.close();
    });

    it('answers unknown events, built-in names and server-only listeners with a 404 error ack', async () => {
      const client = await open();
      const notFound = { message: 'No such event', status: 404 };
      expect(await client.ask('nope')).toEqual({ ack: 1, error: notFound });
      for (const builtIn of [
        'connect',
        'disconnect',
        'close',
        'error',
        'ping',
        'pong',
        'message',
        'resume',
        'drain',
      ]) {
        expect((await client.ask(builtIn)).error).toEqual(notFound);
      }
      expect((await client.ask('audit', 'forged')).error).toEqual(notFound);
      expect(seen.events.some((e) => e.name === 'audit')).toBe(false);
      await client.close();
    });

    it('a listener that throws gets a 500 "Internal error" ack that leaks nothing', async () => {
      const client = await open();
      const answer = await client.ask('boom');
      expect(answer).toEqual({ ack: 1, error: { message: 'Internal error', status: 500 } });
      expect(JSON.stringify(answer)).not.toContain('password');
      expect(await client.ask('refuse')).toEqual({
        ack: 2,
        error: { message: 'not today', status: 400 },
      });
      await client.close();
    });

    it('frames that are not envelopes still reach message listeners as raw bytes', async () => {
      const client = await open();
      client.raw.send('plain text');
      client.raw.send('{"no":"event key"}');
      client.raw.send(Buffer.from([1, 2, 3]), true);
      await eventually(
        () => seen.events.filter((e) => e.name === 'message').map((e) => e.data),
        (raw) => raw.length >= 3,
      );
      expect(seen.events.filter((e) => e.name === 'message').map((e) => e.data)).toEqual(
        expect.arrayContaining(['plain text', '{"no":"event key"}', [1, 2, 3]]),
      );
      await client.close();
    });

    it('malformed envelopes become error events and the connection keeps working', async () => {
      const client = await open();
      const before = seen.events.filter((e) => e.name === 'error').length;
      client.raw.send('{"event":42}');
      client.raw.send('{"event":"echo","id":-1}');
      client.raw.send('{"event":"echo","id":1.5}');
      client.raw.send(JSON.stringify({ event: 'x'.repeat(129), id: 9 }));
      expect(await client.nextPacket()).toEqual({
        ack: 9,
        error: { message: 'Bad event name', status: 400 },
      });
      await eventually(
        () => seen.events.filter((e) => e.name === 'error').length - before,
        (n) => n >= 4,
      );
      expect(
        seen.events
          .filter((e) => e.name === 'error')
          .slice(before)
          .map((e) => e.data),
      ).toEqual(Array(4).fill(expect.stringMatching(/^Malformed packet/)));
      expect(await client.ask('echo', 'still here')).toEqual({ ack: 1, data: 'still here' });
      await client.close();
    });

    it('KwsServer.emitTo/broadcast take { event, data } packets', async () => {
      const [a, b] = await Promise.all([open(), open()]);
      const server = running.app.get(KwsServer);
      await eventually(
        () => server.localCount,
        (n) => n >= 2,
      );
      const uuids = [...server.connections()].map((kws) => kws.uuid);
      await server.broadcast({ event: 'news', data: { n: 1 } });
      expect(await a.nextPacket()).toEqual({ event: 'news', data: { n: 1 } });
      expect(await b.nextPacket()).toEqual({ event: 'news', data: { n: 1 } });
      await server.emitTo(uuids[uuids.length - 1], { event: 'direct', data: 'to you' });
      const direct = await Promise.race([a.nextPacket(), b.nextPacket()]);
      expect(direct).toEqual({ event: 'direct', data: 'to you' });
      await Promise.all([a.close(), b.close()]);
    });

    it('server requests resolve with the client ack, reject on error ack, timeout and disconnect', async () => {
      const client = await open();
      const server = running.app.get(KwsServer);
      await eventually(
        () => server.localCount,
        (n) => n >= 1,
      );
      const kws = [...server.connections()].at(-1)!;

      const answered = server.request(kws.uuid, { event: 'question', data: 6 });
      const question = await client.nextPacket();
      expect(question).toMatchObject({ event: 'question', data: 6, id: expect.any(Number) });
      client.raw.send(JSON.stringify({ ack: question.id, data: 36 }));
      await expect(answered).resolves.toBe(36);

      const refused = kws.request({ event: 'question', data: 0 });
      const second = await client.nextPacket();
      client.raw.send(
        JSON.stringify({ ack: second.id, error: { message: 'cannot divide', status: 422 } }),
      );
      const error = await refused.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KwsAckError);
      expect(error).toMatchObject({ message: 'cannot divide', status: 422 });

      await expect(kws.request({ event: 'question' }, { timeout: 50 })).rejects.toBeInstanceOf(
        KwsTimeoutError,
      );
      await client.nextPacket(); // the unanswered question

      // Bounded: maxPendingRequests is 2 in this app.
      const pending = [kws.request({ event: 'q1' }), kws.request({ event: 'q2' })];
      await expect(kws.request({ event: 'q3' })).rejects.toThrow(/Too many requests/);
      client.raw.socket.terminate();
      for (const request of pending)
        await expect(request).rejects.toBeInstanceOf(KwsInvalidConnectionError);
      await expect(server.request('no-such-uuid', { event: 'q' })).rejects.toBeInstanceOf(
        KwsInvalidConnectionError,
      );
    });

    it('a listener can ask its own client and await the answer', async () => {
      const client = await open();
      client.raw.send(JSON.stringify({ event: 'ask-client', data: 5, id: 1 }));
      const question = await client.nextPacket();
      expect(question).toMatchObject({ event: 'question', data: 5 });
      client.raw.send(JSON.stringify({ ack: question.id, data: 'five' }));
      expect(await client.nextPacket()).toEqual({ ack: 1, data: { answer: 'five' } });
      // Unanswered, the listener's own request times out (300 ms here) and it says so.
      client.raw.send(JSON.stringify({ event: 'ask-client', data: 6, id: 2 }));
      await client.nextPacket();
      expect(await client.nextPacket()).toEqual({ ack: 2, data: { failed: 'KwsTimeoutError' } });
      await client.close();
    });

    it('without a parser every frame stays a raw message (the Go model)', async () => {
      const raw = await startApp(namedEventsApp({ parser: undefined, path: '/raw' }), platform);
      try {
        const client = await connect(raw.wsUrl('/raw'));
        client.send(JSON.stringify({ event: 'echo', data: 1, id: 1 }));
        const rawSeen = raw.app.get(Seen);
        await eventually(
          () => rawSeen.events.length,
          (n) => n >= 1,
        );
        expect(rawSeen.events).toEqual([
          { name: 'message', data: '{"event":"echo","data":1,"id":1}' },
        ]);
        client.socket.terminate();
      } finally {
        await raw.app.close();
      }
    });
  },
);
