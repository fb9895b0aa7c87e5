// `npm run bench`: measures every server in turn and writes docs/benchmarks.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseBenchOptions } from './bench-options.js';
import { DEFAULT_CLUSTER_BENCH, runClusterBench } from './cluster/cluster-bench.js';
import { measureServer, type ServerResult } from './measure-server.js';
import { runMetricsCost } from './metrics-cost.js';
import { renderReport } from './report.js';

const options = parseBenchOptions(process.argv.slice(2));
const results: ServerResult[] = [];
const failures: string[] = [];
const started = performance.now();

for (const name of options.servers) {
  const serverStarted = performance.now();
  process.stderr.write(`bench: ${name} ... `);
  try {
    results.push(await measureServer(name, options));
    process.stderr.write(`done in ${((performance.now() - serverStarted) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failures.push(`${name}: ${message}`);
    process.stderr.write(`failed: ${message}\n`);
  }
}

// What counting costs nestjs-kws: its own section, nestjs-kws against itself.
let metricsSection = '';
if (options.metricsPasses > 0 && options.servers.includes('kws')) {
  try {
    metricsSection = await runMetricsCost(options, options.metricsPasses);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failures.push(`metrics cost: ${message}`);
    process.stderr.write(`bench: metrics cost failed: ${message}\n`);
  }
}

// Cluster mode (2 nodes behind Redis) has its own section: it compares nestjs-kws with itself.
let clusterSection = '';
if (options.cluster) {
  try {
    // Sized by the same flags as the rest, so the tiny smoke run stays tiny.
    clusterSection = await runClusterBench({
      clients: options.clients,
      messages: options.messages,
      size: options.size,
      perTick: Math.min(options.perTick, DEFAULT_CLUSTER_BENCH.perTick),
      samples: options.echoRounds * 10,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failures.push(`cluster: ${message}`);
    process.stderr.write(`bench: cluster failed: ${message}\n`);
  }
}

const report =
  renderReport(options, results, failures) +
  (metricsSection ? `\n${metricsSection}` : '') +
  (clusterSection ? `\n${clusterSection}` : '');
process.stdout.write(report);
if (options.out) {
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, report);
  process.stderr.write(`bench: wrote ${options.out}\n`);
}
process.stderr.write(`bench: total ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
process.exitCode = failures.length ? 1 : 0;
