import type { KwsInspectorSample } from './stats.history.js';

/** One node's chart samples, oldest first. */
export interface KwsInspectorNodeSeries {
  node: string;
  samples: KwsInspectorSample[];
}

/**
 * @internal The cluster's series: per tick (nodes sample at the same multiples of `interval`,
 * see KwsStatsSampler), the nodes' connections, rates, listener errors and acks added up, the ack
 * mean weighted by each node's acks, the ack max the largest. A tick counts the nodes that have
 * a sample for it (a node that just started or died adds nothing before or after).
 */
export function clusterTotal(
  series: readonly KwsInspectorNodeSeries[],
  interval: number,
): KwsInspectorSample[] {
  const ticks = new Map<number, KwsInspectorSample & { ackTotalMs: number }>();
  for (const { samples } of series) {
    const seen = new Set<number>();
    for (const sample of samples) {
      const tick = Math.round(sample.at / interval);
      // Two samples of one node in one tick (a late timer): the first counts.
      if (seen.has(tick)) continue;
      seen.add(tick);
      let total = ticks.get(tick);
      if (!total) {
        total = {
          at: tick * interval,
          connections: 0,
          inPerSecond: 0,
          outPerSecond: 0,
          listenerErrors: 0,
          acks: 0,
          ackMeanMs: 0,
          ackMaxMs: 0,
          ackTotalMs: 0,
        };
        ticks.set(tick, total);
      }
      total.connections += sample.connections;
      total.inPerSecond += sample.inPerSecond;
      total.outPerSecond += sample.outPerSecond;
      total.listenerErrors += sample.listenerErrors;
      total.acks += sample.acks;
      total.ackTotalMs += sample.ackMeanMs * sample.acks;
      total.ackMaxMs = Math.max(total.ackMaxMs, sample.ackMaxMs);
    }
  }
  return Array.from(ticks.values())
    .sort((a, b) => a.at - b.at)
    .map(({ ackTotalMs, ...total }) => ({
      ...total,
      inPerSecond: round(total.inPerSecond),
      outPerSecond: round(total.outPerSecond),
      ackMeanMs: total.acks ? round(ackTotalMs / total.acks) : 0,
    }));
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
