// `npm run bench`: measures every server in turn and writes docs/benchmarks.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseBenchOptions } from './bench-options.js';
import { DEFAULT_CLUSTER_BENCH, runClusterBench } from './cluster/cluster-bench.js';
import { measureRpc, type RpcResult } from './events-rpc.js';
import { measureServer, type ServerResult } from './measure-server.js';
import { runFloodCost } from './flood-cost.js';
import { runChannelsSection } from './channels/channels-section.js';
import { runMetricsCost } from './metrics-cost.js';
import { runTracingCost } from './tracing-cost.js';
import { renderReport } from './report.js';

const options = parseBenchOptions(process.argv.slice(2));
const passes: ServerResult[][] = [];
const failures: string[] = [];
const started = performance.now();

// Pass after pass, server after server: drift on a shared machine (other processes, thermal)
// then hits every server alike, and the spread of a ratio across passes says how noisy it was.
for (let pass = 0; pass < options.passes; pass++) {
  const results: ServerResult[] = [];
  for (const name of options.servers) {
    const serverStarted = performance.now();
    process.stderr.write(`bench: ${name} (pass ${pass + 1}/${options.passes}) ... `);
    try {
      results.push(await measureServer(name, options));
      process.stderr.write(
        `done in ${((performance.now() - serverStarted) / 1000).toFixed(1)} s\n`,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push(`${name} (pass ${pass + 1}): ${message}`);
      process.stderr.write(`failed: ${message}\n`);
    }
  }
  passes.push(results);
}

// Named events: request/ack round trips against socket.io and a Nest gateway.
let rpc: RpcResult | undefined;
if (options.rpcPasses > 0) {
  try {
    rpc = await measureRpc(options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failures.push(`named events: ${message}`);
    process.stderr.write(`bench: named events failed: ${message}\n`);
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

// What tracing costs per event: nestjs-kws against itself, tracing off and on.
let tracingSection = '';
if (options.tracingPasses > 0 && options.servers.includes('kws')) {
  try {
    tracingSection = await runTracingCost(options, options.tracingPasses);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failures.push(`tracing cost: ${message}`);
    process.stderr.write(`bench: tracing cost failed: ${message}\n`);
  }
}

// One client flooding, with and without rateLimit: the others' echo p99 against the idle one.
let floodSection = '';
if (options.flood && options.servers.includes('kws')) {
  try {
    floodSection = await runFloodCost(options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failures.push(`flood: ${message}`);
    process.stderr.write(`bench: flood failed: ${message}\n`);
  }
}

// Channels: joins, presence diff fan-out under churn, history reads (nestjs-kws only).
let channelsSection = '';
if (options.servers.includes('kws')) {
  try {
    channelsSection = await runChannelsSection(options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failures.push(`channels: ${message}`);
    process.stderr.write(`bench: channels failed: ${message}\n`);
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
  renderReport(options, passes, rpc, failures) +
  (metricsSection ? `\n${metricsSection}` : '') +
  (tracingSection ? `\n${tracingSection}` : '') +
  (floodSection ? `\n${floodSection}` : '') +
  (channelsSection ? `\n${channelsSection}` : '') +
  (clusterSection ? `\n${clusterSection}` : '');
process.stdout.write(report);
if (options.out) {
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, report);
  process.stderr.write(`bench: wrote ${options.out}\n`);
}
process.stderr.write(`bench: total ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
process.exitCode = failures.length ? 1 : 0;
