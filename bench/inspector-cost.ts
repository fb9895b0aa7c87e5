// The cost of the inspector while on: nestjs-kws answering request/ack round trips (the
// named-events section's plain listener) without and with `inspector` (nobody watching the page:
// what an app pays for having it on). Modes alternate pass after pass; median of the passes.
// Run alone: `npm run bench:inspector` (optional: --inspector-passes 3 --rpc-clients 100).
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseBenchOptions, type BenchOptions } from './bench-options.js';
import { measureVariants, type RpcFigures, type Variant } from './events-rpc.js';
import { median } from './median.js';

const MODES: Variant[] = [
  {
    label: 'inspector off (default)',
    server: 'kws',
    dialect: 'kws-events',
    env: { KWS_BENCH_EVENTS: 'plain' },
  },
  {
    label: '`inspector: { guard }`',
    server: 'kws',
    dialect: 'kws-events',
    env: { KWS_BENCH_EVENTS: 'plain', KWS_BENCH_INSPECTOR: '1' },
  },
];

export async function runInspectorCost(options: BenchOptions, passes: number): Promise<string> {
  const runs = await measureVariants(MODES, options, passes);
  const lines = [
    `| clients | mode | round trips / server-CPU s | CPU per event | p50 | p99 |`,
    '| ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  const medianOf = (label: string, clients: number, key: keyof RpcFigures): number =>
    median((runs.get(label)?.get(clients) ?? []).map((r) => r[key]));
  for (const clients of options.rpcClients) {
    const off = medianOf(MODES[0].label, clients, 'perCpu');
    for (const mode of MODES) {
      const perCpu = medianOf(mode.label, clients, 'perCpu');
      const cost =
        mode === MODES[0] ? '' : ` (${(((off - perCpu) / off) * 100).toFixed(1)} % fewer)`;
      lines.push(
        `| ${clients} | ${mode.label} | ${(perCpu / 1000).toFixed(1)}k${cost} | ` +
          `${(1e6 / perCpu).toFixed(1)} µs | ` +
          `${(medianOf(mode.label, clients, 'p50') / 1000).toFixed(2)} ms | ` +
          `${(medianOf(mode.label, clients, 'p99') / 1000).toFixed(2)} ms |`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values, tokens } = parseArgs({
    args: process.argv.slice(2),
    options: { 'inspector-passes': { type: 'string', default: '3' } },
    strict: false,
    tokens: true,
  });
  const rest = tokens
    .filter((token) => token.kind !== 'option' || token.name !== 'inspector-passes')
    .flatMap((token) =>
      token.kind === 'option'
        ? [token.rawName, ...(token.value === undefined ? [] : [token.value])]
        : token.kind === 'positional'
          ? [token.value]
          : [],
    );
  const passes = Number(values['inspector-passes']);
  process.stdout.write(await runInspectorCost(parseBenchOptions(rest), passes));
}
