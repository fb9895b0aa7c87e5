import { describe, expect, it } from 'vitest';
import { snapshotAttributes } from '../../src/cluster/recovery/session.snapshot.js';

describe('attributes moving between nodes (docs/recovery.md)', () => {
  it('carries JSON values as they are, flattens others as JSON does, and leaves out what JSON cannot carry', () => {
    class User {
      constructor(readonly name: string) {}
      greet(): string {
        return `hi ${this.name}`;
      }
    }
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const snapshot = snapshotAttributes({
      text: 'ann',
      count: 3,
      flag: true,
      none: null,
      list: [1, { a: 'b' }],
      when: new Date('2026-11-25T12:00:00.000Z'),
      user: new User('bob'),
      map: new Map([['k', 'v']]),
      fn: () => 1,
      symbol: Symbol('s'),
      missing: undefined,
      big: 10n,
      cycle,
    });
    expect(snapshot).toEqual({
      text: 'ann',
      count: 3,
      flag: true,
      none: null,
      list: [1, { a: 'b' }],
      when: '2026-11-25T12:00:00.000Z',
      user: { name: 'bob' },
      map: {},
    });
  });
});
