// `npm run bench:cluster`: prints the cluster benchmark's markdown table.
// Flags: --clients 1000 --messages 200 --size 64 --per-tick 10 --samples 2000
import { parseArgs } from 'node:util';
import { DEFAULT_CLUSTER_BENCH as D, runClusterBench } from './cluster-bench.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: String(D.clients) },
    messages: { type: 'string', default: String(D.messages) },
    size: { type: 'string', default: String(D.size) },
    'per-tick': { type: 'string', default: String(D.perTick) },
    samples: { type: 'string', default: String(D.samples) },
  },
});

process.stdout.write(
  await runClusterBench({
    clients: Number(values.clients),
    messages: Number(values.messages),
    size: Number(values.size),
    perTick: Number(values['per-tick']),
    samples: Number(values.samples),
  }),
);
