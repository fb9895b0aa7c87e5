// Prints one line per suite run, then the one-line total across runs (always the last line).
// Usage: node .ci/summary.mjs <dir> <run name>...   (reads <dir>/<run name>.json, vitest's JSON)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, ...runs] = process.argv.slice(2);
const total = { passed: 0, failed: 0, skipped: 0 };
let missing = 0;
for (const run of runs) {
  const file = join(dir, `${run}.json`);
  if (!existsSync(file)) {
    // The run crashed before vitest could report: that is a failure too.
    console.log(`${run}: no report (the run did not finish)`);
    missing++;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  total.passed += r.numPassedTests;
  total.failed += r.numFailedTests;
  total.skipped += r.numPendingTests;
  console.log(
    `${run}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`,
  );
  // Name each failure: the log's tail is often all a reader of a red run gets to see.
  for (const file of r.testResults ?? []) {
    for (const test of file.assertionResults ?? []) {
      if (test.status !== 'failed') continue;
      const where = file.name.replace(/^.*?\/test\//, 'test/');
      const why = String(test.failureMessages?.[0] ?? '').split('\n')[0].slice(0, 200);
      console.log(`  failed: ${where} > ${test.fullName}: ${why}`);
    }
  }
}
const runsNote = missing ? `, ${missing} run(s) without a report` : '';
console.log(
  `${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped (${runs.length} runs${runsNote})`,
);
process.exitCode = total.failed > 0 || missing > 0 ? 1 : 0;
