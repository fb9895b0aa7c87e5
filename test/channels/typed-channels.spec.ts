import { describe, expect, it } from 'vitest';
import { compile, expectedErrors } from '../helpers/tsc.js';

describe('typed channel maps (tsc)', () => {
  it('one map types both sides: exactly the wrong names, params and payloads of the fixture fail', async () => {
    const fixture = 'test/channels/fixtures/typed-channels.fixture.ts';
    const expected = expectedErrors(fixture);
    expect(expected.length).toBeGreaterThanOrEqual(9);
    const { ok, errors } = await compile('test/channels/fixtures/tsconfig.json');
    expect(ok).toBe(false);
    expect(errors).toEqual(expected);
  });
});
