import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSample, type RunningSample } from '../sample/start-sample.js';
import { validAsyncApi } from './asyncapi-validate.js';
import { httpGet } from './http-get.js';

type Json = Record<string, any>;

const DOC = new URL('../../docs/asyncapi.md', import.meta.url);
// The document sits in the page's one ```yaml block after this marker.
const MARKER = '<!-- sample-asyncapi: generated, see test/asyncapi/sample-asyncapi.spec.ts -->';

describe("the sample's AsyncAPI document", () => {
  let sample: RunningSample;
  let yaml: string;

  beforeAll(async () => {
    sample = await startSample();
    // As `npm start` serves it on its default address.
    const served = await httpGet(sample.port, '/asyncapi.yaml', 'localhost:3000');
    expect(served.status).toBe(200);
    yaml = served.text;
  });
  afterAll(() => sample.app.close());

  it('is valid AsyncAPI 3.0 (the official parser), JSON and YAML alike', async () => {
    const fromYaml = await validAsyncApi(yaml);
    const fromJson = await validAsyncApi(
      (await httpGet(sample.port, '/asyncapi.json', 'localhost:3000')).text,
    );
    expect(fromJson).toEqual(fromYaml);
  });

  it('describes the chat: direct (with its DTO and receipt), CUSTOM_EVENT, raw frames, chat, session', async () => {
    const doc = (await validAsyncApi(yaml)) as Json;
    expect(doc.info.title).toBe('nestjs-kws chat sample');
    expect(doc.servers.app).toEqual({ host: 'localhost:3000', protocol: 'ws' });
    expect(doc.channels.default.address).toBe('/ws/{id}');
    expect(Object.keys(doc.operations).sort()).toEqual([
      'default.receive.CUSTOM_EVENT',
      'default.receive.direct',
      'default.receive.message',
      'default.send.chat',
      'default.send.session',
    ]);
    const direct = doc.channels.default.messages['client.direct'].payload.properties.data;
    expect(direct).toMatchObject({
      type: 'object',
      required: ['to', 'text'],
      properties: {
        to: { type: 'string', minLength: 1, maxLength: 64 },
        text: { type: 'string', minLength: 1, maxLength: 4000 },
      },
    });
  });

  it('docs/asyncapi.md shows it as the sample serves it (UPDATE_DOCS=1 rewrites the page)', () => {
    const page = readFileSync(DOC, 'utf8');
    const start = page.indexOf(MARKER);
    expect(start).toBeGreaterThan(-1);
    const open = page.indexOf('```yaml\n', start) + '```yaml\n'.length;
    const close = page.indexOf('```\n', open);
    if (process.env.UPDATE_DOCS === '1') {
      writeFileSync(DOC, page.slice(0, open) + yaml + page.slice(close));
      return;
    }
    expect(page.slice(open, close)).toBe(yaml);
  });
});
