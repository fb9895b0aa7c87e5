import { mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'rolldown';
import { expect, it } from 'vitest';

/** The budget the README and docs/client.md promise for `nestjs-kws/client`, minified and gzipped. */
const BUDGET = 4 * 1024;

it(`keeps nestjs-kws/client under ${BUDGET} bytes minified + gzipped, with no import`, async () => {
  const { output } = await build({
    input: 'src/client/index.ts',
    write: false,
    logLevel: 'silent',
    output: { format: 'esm', minify: true },
  });
  const code = output[0].code;
  const gzipped = gzipSync(code, { level: 9 }).length;
  const report = `nestjs-kws/client: ${code.length} bytes minified, ${gzipped} bytes minified + gzipped`;
  console.log(report);
  mkdirSync('test-output', { recursive: true });
  writeFileSync('test-output/client-size.txt', `${report}\n`);

  // One chunk that imports nothing: no dependency, nothing of the server.
  expect(output).toHaveLength(1);
  expect(output[0].imports).toEqual([]);
  expect(gzipped).toBeLessThan(BUDGET);
});
