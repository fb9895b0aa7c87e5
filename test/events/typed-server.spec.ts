import { describe, expect, it } from 'vitest';
import { compile, expectedErrors } from '../helpers/tsc.js';

const FIXTURES = 'test/events/fixtures';

describe('typed event maps on the server (tsc)', () => {
  it('fails to compile exactly the wrong names and payloads of the fixture', async () => {
    const expected = expectedErrors(`${FIXTURES}/typed-server.fixture.ts`);
    expect(expected.length).toBeGreaterThanOrEqual(5);
    const { ok, errors } = await compile(`${FIXTURES}/tsconfig.json`);
    expect(ok).toBe(false);
    expect(errors).toEqual(expected);
  });
});
