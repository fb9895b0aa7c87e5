import { describe, expect, it } from 'vitest';
import { JsonKwsParser, jsonAck } from '../../src/events/json.parser.js';

describe('the built-in JSON acknowledgement, encoded without its wrapper', () => {
  const parser = new JsonKwsParser();
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;

  it.each([
    ['an object', { text: 'hi', n: [1, 2, { deep: null }] }],
    ['a string with quotes and unicode', 'a "quoted" \u2028 é 😀'],
    ['a number', 42.5],
    ['zero', 0],
    ['false', false],
    ['null', null],
    ['an array with undefined and a function', [undefined, () => 1, 3]],
    ['an object with an undefined value', { a: undefined, b: 1 }],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['NaN', Number.NaN],
  ])('is byte for byte JSON.stringify({ ack, data }) for %s', (_, data) => {
    expect(jsonAck(7, data)).toBe(parser.encode({ ack: 7, data }));
  });

  it('leaves to the wrapper what could differ or fail: toJSON, cycles, BigInt', () => {
    expect(jsonAck(1, new Date(0))).toBeUndefined();
    expect(jsonAck(1, { toJSON: (key: string) => key })).toBeUndefined();
    expect(jsonAck(1, cycle)).toBeUndefined();
    expect(jsonAck(1, 10n)).toBeUndefined();
  });
});
