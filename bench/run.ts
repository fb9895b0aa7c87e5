// `npm run bench`: measures every server in turn and writes docs/benchmarks.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseBenchOptions } from './bench-options.js';
import { measureServer, type ServerResult } from './measure-server.js';
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

const report = renderReport(options, results, failures);
process.stdout.write(report);
if (options.out) {
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, report);
  process.stderr.write(`bench: wrote ${options.out}\n`);
}
process.stderr.write(`bench: total ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
process.exitCode = failures.length ? 1 : 0;
