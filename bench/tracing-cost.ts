// The cost of tracing: nestjs-kws answering request/ack round trips (the named-events section's
// plain listener) with tracing off and with `tracing: true` and an SDK registered. Modes alternate
// pass after pass; each figure is the median of its passes. Per event, tracing on costs the
// difference in server CPU per round trip (one event span; the ack is in the same span).
import type { BenchOptions } from './bench-options.js';
import { measureVariants, type RpcFigures, type Variant } from './events-rpc.js';
import { median } from './median.js';

const MODES: Variant[] = [
  {
    label: 'tracing off (default)',
    server: 'kws',
    dialect: 'kws-events',
    env: { KWS_BENCH_EVENTS: 'plain' },
  },
  {
    label: 'tracing off, SDK registered (context manager on)',
    server: 'kws',
    dialect: 'kws-events',
    env: { KWS_BENCH_EVENTS: 'plain', KWS_BENCH_TRACING: 'sdk' },
  },
  {
    label: '`tracing: true`, SDK registered',
    server: 'kws',
    dialect: 'kws-events',
    env: { KWS_BENCH_EVENTS: 'plain', KWS_BENCH_TRACING: '1' },
  },
];

export async function runTracingCost(options: BenchOptions, passes: number): Promise<string> {
  const runs = await measureVariants(MODES, options, passes);
  const lines = [
    '## Cost of tracing',
    '',
    `nestjs-kws answering request/ack round trips (the plain listener above, ${options.rpcRounds} per`,
    'client, one in flight per client) with tracing off, and with `tracing: true` and an',
    'OpenTelemetry SDK registered as an app would (AsyncLocalStorage context manager, W3C',
    'propagator, BatchSpanProcessor; its exporter drops the spans, so shipping them is not counted).',
    'Each round trip is one event span. "CPU per event" is server-CPU µs per round trip; the',
    'difference with the first row is what tracing costs per event. The middle row registers the',
    "same SDK with tracing off and turns its AsyncLocalStorage context manager on, as an app's other",
    'instrumentations (HTTP...) do: the part of the cost an app pays for tracing at all, whatever',
    `nestjs-kws does. Modes alternate; median of ${passes} pass(es).`,
    '',
    '| clients | mode | round trips / server-CPU s | CPU per event | p50 | p99 |',
    '| ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  const medianOf = (label: string, clients: number, key: keyof RpcFigures): number =>
    median((runs.get(label)?.get(clients) ?? []).map((r) => r[key]));
  for (const clients of options.rpcClients) {
    const off = medianOf(MODES[0].label, clients, 'perCpu');
    for (const mode of MODES) {
      const perCpu = medianOf(mode.label, clients, 'perCpu');
      const cost =
        mode === MODES[0]
          ? ''
          : ` (+${(1e6 / perCpu - 1e6 / off).toFixed(1)} µs, ${(off / perCpu).toFixed(2)}x)`;
      lines.push(
        `| ${clients} | ${mode.label} | ${(perCpu / 1000).toFixed(1)}k | ` +
          `${(1e6 / perCpu).toFixed(1)} µs${cost} | ` +
          `${micros(medianOf(mode.label, clients, 'p50'))} | ` +
          `${micros(medianOf(mode.label, clients, 'p99'))} |`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

function micros(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} ms` : `${value.toFixed(0)} µs`;
}
