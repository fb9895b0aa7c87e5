import { describe, expect, it } from 'vitest';
import { compile, expectedErrors } from '../helpers/tsc.js';

const FIXTURES = 'test/client/fixtures';

describe('typed event maps (tsc)', () => {
  it('fails to compile exactly the wrong names and payloads of the fixture', async () => {
    const expected = expectedErrors(`${FIXTURES}/typed-events.fixture.ts`);
    expect(expected.length).toBeGreaterThanOrEqual(10);

    const { ok, errors } = await compile(`${FIXTURES}/tsconfig.json`);
    expect(ok).toBe(false);
    expect(errors).toEqual(expected);
  });

  it('builds for browsers (DOM library, no Node types) and takes the DOM WebSocket class', async () => {
    expect(await compile(`${FIXTURES}/tsconfig.browser.json`)).toEqual({ ok: true, errors: [] });
  });
});
