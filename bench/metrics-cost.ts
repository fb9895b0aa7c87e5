// The cost of counting: nestjs-kws's fan-out, chat and echo with metrics off, with the default
// counters, and with the Prometheus export on. The modes alternate pass after pass, so drift on a
// shared machine hits them all alike; each figure is the median of its passes.
import type { BenchOptions } from './bench-options.js';
import { measureServer, type ServerResult } from './measure-server.js';
import { median } from './median.js';

const MODES = ['off', 'counters', 'prometheus'] as const;
type Mode = (typeof MODES)[number];

const LABELS: Record<Mode, string> = {
  off: '`metrics: false`',
  counters: 'counters (default)',
  prometheus: 'counters + Prometheus',
};

const FIGURES: Array<{ label: string; value: (r: ServerResult) => number; unit: 'k' | 'ms' }> = [
  { label: 'broadcast deliveries / server-CPU s', value: (r) => r.fanoutCpu, unit: 'k' },
  { label: 'chat deliveries / server-CPU s', value: (r) => r.chatCpu, unit: 'k' },
  { label: 'echo p99', value: (r) => r.echo.p99, unit: 'ms' },
];

export async function runMetricsCost(options: BenchOptions, passes: number): Promise<string> {
  const runs: Record<Mode, ServerResult[]> = { off: [], counters: [], prometheus: [] };
  // Memory and accept rate are not what this section is about: a small idle phase.
  const sized = { ...options, idle: Math.min(options.idle, 500) };
  for (let pass = 0; pass < passes; pass++) {
    for (const mode of MODES) {
      process.stderr.write(`bench: metrics ${mode} (pass ${pass + 1}/${passes}) ... `);
      runs[mode].push(await measureServer('kws', sized, { KWS_BENCH_METRICS: mode }));
      process.stderr.write('done\n');
    }
  }
  const lines = [
    '## Cost of metrics',
    '',
    'nestjs-kws alone, same sizes as above, with counting off, with the default counters',
    '(`KwsServer.stats()`), and with the Prometheus export (`metrics: { prometheus: true }`: the',
    'same counters read at scrape time, plus the listener-duration histogram observed per listener',
    `call). Modes alternate; median of ${passes} pass(es); ratios against \`metrics: false\`.`,
    '',
    `| figure | ${MODES.map((mode) => LABELS[mode]).join(' | ')} |`,
    `| --- | ${MODES.map(() => '---:').join(' | ')} |`,
  ];
  for (const figure of FIGURES) {
    const off = median(runs.off.map(figure.value));
    const cells = MODES.map((mode) => {
      const value = median(runs[mode].map(figure.value));
      const text =
        figure.unit === 'k' ? `${(value / 1000).toFixed(1)}k` : `${(value / 1000).toFixed(2)} ms`;
      return mode === 'off' ? text : `${text} (${(value / off).toFixed(2)}x)`;
    });
    lines.push(`| ${figure.label} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}
