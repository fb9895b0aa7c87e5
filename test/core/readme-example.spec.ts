import { Injectable, Module } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { KwsEvent, KwsModule, OnKwsEvent, type KwsEventPayload } from '../../src/index.js';
import { pageText, printedRegion } from '../helpers/printed-code.js';
import { startApp } from '../helpers/start-app.js';
import { useRunningApp } from '../helpers/app-session.js';
import { connect, type TestClient } from '../helpers/ws-client.js';

/** The README's first example, as printed there. */
@Injectable()
class ChatListeners {
  readonly custom: string[] = [];

  // printed:begin
  @OnKwsEvent(KwsEvent.Connect)
  welcome({ kws }: KwsEventPayload) {
    kws.setAttribute('user_id', kws.params('id'));
    kws.broadcast(`New user connected: ${kws.params('id')}`, true); // everyone but the newcomer
    kws.emit(`Hello user: ${kws.params('id')} with UUID: ${kws.uuid}`);
  }

  // Clients send JSON text: {"to": "<a connection's uuid>", "event"?: "CUSTOM_EVENT", "data": "..."}
  @OnKwsEvent(KwsEvent.Message)
  async route({ kws, data, isBinary }: KwsEventPayload) {
    if (isBinary) return; // this example routes JSON text only
    const { to, event, data: text } = JSON.parse(data.toString());
    if (event) kws.fire(event, text); // custom event on this connection
    // `to` is a uuid (each client learns its own from the welcome above), not a user id.
    // `data` is a Buffer: forwarded as a string, it stays a text frame (a Buffer would go as binary).
    await kws.emitTo(to, data.toString()); // rejects (and fires 'error') if `to` is unknown
  }
  // printed:end

  @OnKwsEvent('CUSTOM_EVENT')
  onCustom({ kws, data }: KwsEventPayload) {
    this.custom.push(`custom event from ${kws.getStringAttribute('user_id')}: ${data}`);
  }
}

@Module({ imports: [KwsModule.forRoot({ path: '/ws/:id' })], providers: [ChatListeners] })
class ReadmeAppModule {}

describe("the README's first example", () => {
  const session = useRunningApp();
  const { clients } = session;

  it('is the code the README prints', () => {
    const readme = new URL('../../README.md', import.meta.url);
    const printed = pageText(readme).includes(printedRegion(import.meta.url));
    expect(
      printed,
      'README.md no longer prints the code between printed:begin and printed:end',
    ).toBe(true);
  });

  async function join(user: string): Promise<{ client: TestClient; uuid: string }> {
    const client = await connect(session.running!.wsUrl(`/ws/${user}`));
    clients.push(client);
    const hello = (await client.next()).text;
    const uuid = /with UUID: (\S+)$/.exec(hello)![1];
    return { client, uuid };
  }

  it('forwards a text message to a uuid as a text frame, and fires the custom event', async () => {
    session.running = await startApp(ReadmeAppModule);
    const alice = await join('alice');
    const bob = await join('bob');
    expect((await alice.client.next()).text).toBe('New user connected: bob');
    const message = JSON.stringify({ to: bob.uuid, event: 'CUSTOM_EVENT', data: 'hi bob' });
    alice.client.send(message);
    const received = await bob.client.next();
    expect(received).toMatchObject({ isBinary: false, text: message });
    expect(session.running.app.get(ChatListeners).custom).toEqual([
      'custom event from alice: hi bob',
    ]);
  });
});
