import { describe, expect, it } from 'vitest';
import { clusterTotal } from '../../src/inspector/cluster.series.js';
import type { KwsInspectorSample } from '../../src/inspector/stats.history.js';

const sample = (at: number, figures: Partial<KwsInspectorSample>): KwsInspectorSample => ({
  at,
  connections: 0,
  inPerSecond: 0,
  outPerSecond: 0,
  listenerErrors: 0,
  acks: 0,
  ackMeanMs: 0,
  ackMaxMs: 0,
  ...figures,
});

describe("the cluster's chart series (every node's samples added up per tick)", () => {
  it('adds up per tick; the ack mean is weighted by acks, the max is the largest', () => {
    const total = clusterTotal(
      [
        {
          node: 'a',
          samples: [
            sample(1_000_004, {
              connections: 2,
              inPerSecond: 10,
              acks: 1,
              ackMeanMs: 4,
              ackMaxMs: 4,
            }),
            sample(1_005_003, { connections: 3, inPerSecond: 5 }),
          ],
        },
        {
          node: 'b',
          samples: [
            // Its timer fired a little late: still the same tick.
            sample(1_000_040, {
              connections: 5,
              inPerSecond: 1.5,
              acks: 3,
              ackMeanMs: 1,
              ackMaxMs: 2,
            }),
          ],
        },
      ],
      5_000,
    );
    expect(total).toEqual([
      sample(1_000_000, {
        connections: 7,
        inPerSecond: 11.5,
        acks: 4,
        ackMeanMs: 1.75,
        ackMaxMs: 4,
      }),
      // b has no sample of this tick (dead, or not started): a has it alone.
      sample(1_005_000, { connections: 3, inPerSecond: 5 }),
    ]);
  });

  it('counts one sample per node per tick, and nothing for a node without samples', () => {
    const total = clusterTotal(
      [
        { node: 'a', samples: [sample(200, { connections: 1 }), sample(210, { connections: 9 })] },
        { node: 'b', samples: [] },
      ],
      200,
    );
    expect(total).toEqual([sample(200, { connections: 1 })]);
  });
});
