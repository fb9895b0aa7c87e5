import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const TINY = ['--clients', '20', '--messages', '3', '--rounds', '1', '--echo-clients', '3'];
const TINY_REST = ['--echo-rounds', '5', '--idle', '20', '--window', '10', '--metrics-passes', '1'];
const TINY_PASSES = [
  '--passes',
  '1',
  '--rpc-clients',
  '3',
  '--rpc-rounds',
  '5',
  '--rpc-passes',
  '1',
  '--tracing-passes',
  '1',
];

// `npm run bench` at tiny sizes: every server starts, every delivery arrives (a lost one times
// the run out), and the report has a figure for each server. Speed itself is never asserted.
describe('npm run bench (smoke, tiny sizes)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kws-bench-'));
    // Compiles bench/ (with sample/) to .out; dist/ is already built by `npm test`'s pretest.
    await run(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.sample.json'],
      {
        cwd: root,
      },
    ).catch(() => undefined); // a type error elsewhere still emits; the run below is the check
    // The cluster bench reads the directory's Lua scripts beside its compiled modules.
    await run(process.execPath, ['tools/copy-lua.mjs', 'src', '.out/src'], { cwd: root });
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures every server and writes the markdown report', async () => {
    const script = join(root, '.out/bench/run.js');
    expect(existsSync(script)).toBe(true);
    const out = join(dir, 'benchmarks.md');
    await run(process.execPath, [script, ...TINY, ...TINY_REST, ...TINY_PASSES, '--out', out], {
      cwd: root,
    });

    const report = readFileSync(out, 'utf8');
    expect(report).toContain(`Node ${process.version}`);
    const header = report.split('\n').find((line) => line.startsWith('| figure |'));
    expect(header).toBe(
      '| figure | handle floor | raw `ws`, pre-framed | raw `ws` | nestjs-kws | Nest gateway (platform-ws) | socket.io (websocket) |',
    );
    // The honest cases come first, the bursts after them.
    expect(report.indexOf('## The honest cases')).toBeLessThan(report.indexOf('## Bursts'));
    for (const figure of [
      'broadcast, one per turn: deliveries / server-CPU s',
      'chat at random times: deliveries / server-CPU s',
      'broadcast burst: deliveries / server-CPU s',
      'chat burst: deliveries / server-CPU s',
      'echo p99',
      'heap / idle connection',
      'heap / idle connection, browser headers',
      'connections accepted / server-CPU s',
    ]) {
      const row = report.split('\n').find((line) => line.startsWith(`| ${figure} |`));
      const cells = row?.split('|').slice(2, -1) ?? [];
      expect(cells, figure).toHaveLength(6);
      for (const cell of cells)
        expect(cell, figure).toMatch(/-?\d[\d.]*\s?(k|µs|ms|B|KB)? \(-?\d+\.\d\dx\)/);
    }
    expect(report).toContain('## Targets');
    expect(report).toContain('## How noisy the run was');
    // Named events: each variant measured, side by side.
    for (const variant of [
      'nestjs-kws, plain listener',
      'nestjs-kws, guard + ValidationPipe',
      'Nest gateway (platform-ws)',
      'socket.io emitWithAck',
    ]) {
      const row = report.split('\n').find((line) => line.startsWith(`| ${variant} | 3 |`));
      expect(row, variant).toMatch(/\| \d[\d.]*k \| \d+\.\d\dx \| \d+\.\d\dx \|/);
    }
    // Metrics off / counters / Prometheus, side by side, each measured.
    const metrics = report.slice(report.indexOf('## Cost of metrics'));
    expect(metrics).toContain(
      '| figure | `metrics: false` | counters (default) | counters + Prometheus |',
    );
    const fanout = metrics.split('\n').find((line) => line.startsWith('| broadcast deliveries'));
    expect(fanout?.split('|').slice(2, -1)).toHaveLength(3);
    // Tracing off, SDK only, tracing on: each measured, with its CPU per event.
    const tracing = report.slice(report.indexOf('## Cost of tracing')).split('\n');
    expect(
      tracing.filter((line) => /^\| 3 \| .* \| \d[\d.]*k \| \d+\.\d µs/.test(line)),
    ).toHaveLength(3);
    // One client flooding, without and with rateLimit: both runs measured.
    const flood = report.slice(report.indexOf('## One client flooding')).split('\n');
    expect(flood.filter((line) => /^\| (no rate limit|`rateLimit)/.test(line))).toHaveLength(2);
    // Channels: joins, presence churn and history reads, each with a figure.
    const channels = report.slice(report.indexOf('## Channels')).split('\n');
    expect(
      channels.filter((line) => /^\| (joins|presence churn|history reads)/.test(line)),
    ).toHaveLength(3);
    expect(report).not.toContain('## Failed runs');
  }, 120_000);
});
