import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KwsAsyncApi,
  KwsEvent,
  KwsModule,
  OnKwsEvent,
  type KwsAsyncApiDocument,
  type KwsEventPayload,
} from '../../src/index.js';
import { PacketClient } from '../helpers/packet-client.js';
import { startApp, type Platform, type RunningApp } from '../helpers/start-app.js';
import { asyncApiModule, ChatListeners } from './asyncapi.app.js';
import { validAsyncApi } from './asyncapi-validate.js';
import { httpGet } from './http-get.js';

type Json = Record<string, any>;

describe.each<Platform>(['express', 'fastify'])('the asyncapi option on %s', (platform) => {
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp(
      asyncApiModule({ path: '/docs/events.json', title: 'Chat', version: '2.1.0' }),
      platform,
    );
  });
  afterAll(() => running.app.close());

  it('serves the document as JSON and YAML, both valid AsyncAPI and the same document', async () => {
    const json = await httpGet(running.port, '/docs/events.json');
    const yaml = await httpGet(running.port, '/docs/events.yaml');
    expect([json.status, yaml.status]).toEqual([200, 200]);
    expect(json.type).toMatch(/^application\/json/);
    expect(yaml.type).toMatch(/^application\/yaml/);
    const fromJson = await validAsyncApi(json.text);
    const fromYaml = await validAsyncApi(yaml.text);
    expect(fromYaml).toEqual(fromJson);
    expect(fromJson).toMatchObject({
      asyncapi: '3.0.0',
      info: { title: 'Chat', version: '2.1.0' },
      // Where the client reached the document is where it connects.
      servers: { app: { host: `127.0.0.1:${running.port}`, protocol: 'ws' } },
    });
  });

  it('leaves the rest of the HTTP server alone (the app still 404s elsewhere)', async () => {
    expect((await httpGet(running.port, '/docs/other.json')).status).toBe(404);
  });
});

describe('what the document says', () => {
  let running: RunningApp;
  let doc: Json;

  beforeAll(async () => {
    running = await startApp(asyncApiModule(true));
    doc = JSON.parse((await httpGet(running.port, '/asyncapi.json')).text) as Json;
  });
  afterAll(() => running.app.close());

  it('one channel per endpoint, with its address and route params', () => {
    expect(doc.channels.default.address).toBe('/ws');
    expect(doc.channels.admin.address).toBe('/admin/{room}');
    expect(Object.keys(doc.channels.admin.parameters)).toEqual(['room']);
  });

  it('every event a client may send, not the built-ins nor server-only listeners', () => {
    const names = Object.values<Json>(doc.channels.default.messages)
      .filter((message) => message.payload.properties?.event && message.summary.startsWith('Fires'))
      .map((message) => message.name);
    expect(names.sort()).toEqual(['chat:send', 'opaque', 'typing', 'untyped']);
    expect(JSON.stringify(doc)).not.toContain('internal');
    const adminEvents = Object.keys(doc.operations).filter((id) => id.startsWith('admin.receive'));
    expect(adminEvents).toEqual(['admin.receive.kick']);
  });

  it('the envelope of docs/protocol.md around the DTO of @MessageBody(), from class-validator', () => {
    const message = doc.channels.default.messages['client.chat_send'];
    expect(message.payload).toMatchObject({
      type: 'object',
      required: ['event'],
      properties: {
        event: { const: 'chat:send' },
        data: { $ref: '#/components/schemas/SendMessage' },
        id: { type: 'integer', minimum: 1, maximum: 2 ** 31 - 1 },
      },
    });
    expect(doc.components.schemas.SendMessage).toEqual({
      type: 'object',
      properties: {
        room: { type: 'string', maxLength: 20 },
        text: { type: 'string', maxLength: 500 },
        priority: { type: 'string', enum: ['low', 'high'] },
        delay: { type: 'integer', minimum: 0 },
        attachment: { $ref: '#/components/schemas/Attachment' },
      },
      required: ['room', 'text'],
    });
    expect(doc.components.schemas.Attachment.properties.url).toEqual({
      type: 'string',
      pattern: '^https:\\/\\/',
    });
  });

  it('@MessageBody(key) params make an object; a class without metadata or no type says so', () => {
    const data = (key: string): Json => doc.channels.default.messages[key].payload.properties.data;
    expect(data('client.typing')).toEqual({
      type: 'object',
      properties: { room: { type: 'string' }, on: { type: 'boolean' } },
    });
    expect(doc.components.schemas.Opaque.description).toMatch(
      /no class-validator or @nestjs\/swagger/,
    );
    expect(data('client.untyped').description).toMatch(/declares no `@MessageBody\(\)` type/);
  });

  it('acks: the return type (swagger metadata here), and the error ack with its statuses', () => {
    const reply = doc.operations['default.receive.chat_send'].reply;
    expect(reply.messages).toEqual([
      { $ref: '#/channels/default/messages/client.chat_send.ack' },
      { $ref: '#/channels/default/messages/ackError' },
    ]);
    const ack = doc.channels.default.messages['client.chat_send.ack'].payload;
    expect(ack.properties.data).toEqual({ $ref: '#/components/schemas/Receipt' });
    expect(doc.components.schemas.Receipt).toEqual({
      type: 'object',
      properties: {
        room: { type: 'string', description: 'Where the message went', examples: ['lobby'] },
        delivered: { type: 'number', minimum: 0 },
      },
      required: ['room', 'delivered'],
    });
    const status =
      doc.channels.default.messages.ackError.payload.properties.error.properties.status;
    expect(status.examples).toEqual([400, 403, 404, 429, 500]);
  });

  it('the events @KwsEmits declares, per endpoint; recovery adds offset and the session packet', () => {
    const sends = Object.keys(doc.operations).filter((id) => id.includes('.send.'));
    expect(sends.sort()).toEqual([
      'admin.send.alert',
      'admin.send.session',
      'default.send.chat',
      'default.send.notice',
    ]);
    const chat = doc.channels.default.messages['server.chat'];
    expect(chat.summary).toBe('A line someone said in a room.');
    expect(chat.payload.properties.data).toEqual({ $ref: '#/components/schemas/ChatLine' });
    expect(chat.payload.properties.offset).toBeUndefined();
    const alert = doc.channels.admin.messages['server.alert'].payload.properties;
    expect(alert.data).toEqual({ type: 'object', properties: { level: { type: 'integer' } } });
    expect(alert.offset.type).toBe('string');
  });

  it('a listener added at run time (KwsServer.on) is in the next document, its data left open', async () => {
    // The unnamed endpoint's server (app.get(KwsServer) may find the admin endpoint's).
    const off = running.app.get(ChatListeners).server.on('late', () => undefined);
    try {
      const now = JSON.parse((await httpGet(running.port, '/asyncapi.json')).text) as Json;
      const late = now.channels.default.messages['client.late'];
      expect(late.name).toBe('late');
      expect(late.payload.properties.data.description).toMatch(
        /declares no `@MessageBody\(\)` type/,
      );
    } finally {
      off();
    }
    const after = JSON.parse((await httpGet(running.port, '/asyncapi.json')).text) as Json;
    expect(after.channels.default.messages['client.late']).toBeUndefined();
  });

  it('what it documents is what the endpoint does: a valid chat:send is acked, an invalid one gets 400', async () => {
    const client = await PacketClient.open(running.wsUrl('/ws'));
    try {
      expect((await client.ask('chat:send', { room: 'lobby', text: 'hi' })).data).toEqual({
        room: 'lobby',
        delivered: 1,
      });
      const tooLong = await client.ask('chat:send', { room: 'x'.repeat(21), text: 'hi' });
      expect(tooLong.error?.status).toBe(400);
      expect((await client.ask('internal')).error?.status).toBe(404);
    } finally {
      await client.close();
    }
  });
});

@Injectable()
class RawListeners {
  @OnKwsEvent(KwsEvent.Message)
  message(_payload: KwsEventPayload): void {}

  @OnKwsEvent('named')
  named(): void {}
}

describe('KwsAsyncApi without the HTTP route', () => {
  it('builds the document in an application context, for a CI export', async () => {
    const app = await NestFactory.createApplicationContext(asyncApiModule(undefined), {
      logger: false,
    });
    try {
      const document: KwsAsyncApiDocument = await app
        .get(KwsAsyncApi)
        .document({ version: '3.0.1' });
      const parsed = await validAsyncApi(JSON.stringify(document));
      expect(parsed.info).toMatchObject({ version: '3.0.1' });
      // No request, no host: clients' server is the app's to state.
      expect(document.servers).toBeUndefined();
      expect(Object.keys(document.operations as Json)).toContain('default.receive.chat_send');
      await validAsyncApi(await app.get(KwsAsyncApi).yaml());
    } finally {
      await app.close();
    }
  });

  it('is off unless asked for: no route', async () => {
    const running = await startApp(asyncApiModule(undefined));
    try {
      expect((await httpGet(running.port, '/asyncapi.json')).status).toBe(404);
      expect((await httpGet(running.port, '/asyncapi.yaml')).status).toBe(404);
    } finally {
      await running.app.close();
    }
  });

  it('an endpoint without a parser has raw messages only (named events are off there)', async () => {
    @Module({ imports: [KwsModule.forRoot({ path: '/raw' })], providers: [RawListeners] })
    class RawModule {}
    const app = await NestFactory.createApplicationContext(RawModule, { logger: false });
    try {
      const document = (await app.get(KwsAsyncApi).document()) as Json;
      await validAsyncApi(JSON.stringify(document));
      expect(Object.keys(document.channels.default.messages)).toEqual(['message']);
      expect(Object.keys(document.operations)).toEqual(['default.receive.message']);
    } finally {
      await app.close();
    }
  });
});

describe('the asyncapi option is checked at bootstrap', () => {
  it.each([
    [{ path: 'asyncapi.json' }, /"asyncapi\.path" must be a URL path/],
    [{ path: '/asyncapi.yaml' }, /"asyncapi\.path" must be a URL path .* ending in '\.json'/],
    [{ title: 5 }, /"asyncapi\.title" must be a non-empty string/],
    ['yes', /"asyncapi" must be a boolean or an object/],
  ])('%j fails, naming the option', async (asyncapi, message) => {
    await expect(startApp(asyncApiModule(asyncapi as never))).rejects.toThrow(message);
  });

  it('two endpoints serving the same path fail, naming the option', async () => {
    @Module({
      imports: [
        KwsModule.forRoot({ path: '/a', parser: 'json', asyncapi: true }),
        KwsModule.forRoot({ name: 'b', path: '/b', parser: 'json', asyncapi: true }),
      ],
    })
    class TwiceModule {}
    await expect(startApp(TwiceModule)).rejects.toThrow(
      /"asyncapi\.path": \/asyncapi\.json is already served/,
    );
  });
});
