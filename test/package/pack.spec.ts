import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Bare module specifiers a file imports (`import ... from 'x'`, `import('x')`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"./][^'"]*)['"]/g)];
  return found
    .map(([, spec]) => (spec.startsWith('@') ? spec.split('/').slice(0, 2) : spec.split('/', 1)))
    .map((parts) => (Array.isArray(parts) ? parts.join('/') : parts))
    .filter((name) => !name.startsWith('node:'));
}

describe('the published package (npm pack)', () => {
  // `npm test` builds dist first; --ignore-scripts so the listing does not rebuild it.
  const listing = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
    }),
  ) as Array<{ files: Array<{ path: string }> }>;
  const packed = new Set(listing[0].files.map((file) => file.path));
  const dist = walk(join(root, 'dist'));

  it('builds before packing, and packs the code of every entry point', () => {
    expect(pkg.scripts.prepack).toMatch(/\bnpm run build\b/);
    for (const entry of ['index', 'client/index', 'client/channels', 'testing/index']) {
      expect(packed).toContain(`dist/${entry}.js`);
      expect(packed).toContain(`dist/${entry}.d.ts`);
    }
  });

  it('every source map points to a file that is packed', () => {
    const maps = dist.filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] };
      for (const source of sources) {
        expect(packed).toContain(relative(root, resolve(dirname(map), source)));
      }
    }
  });

  it('what the typings import is installed with the package (no TS7016 for strict consumers)', () => {
    const typeImports = new Set(dist.filter((f) => f.endsWith('.d.ts')).flatMap(importsOf));
    for (const name of typeImports) {
      const provided = name in pkg.dependencies || name in pkg.peerDependencies;
      expect([name, provided]).toEqual([name, true]);
    }
    // ws ships no typings of its own.
    if (typeImports.has('ws')) expect(pkg.dependencies).toHaveProperty('@types/ws');
  });

  it('a required peer is one the code imports; the others are optional', () => {
    const codeImports = new Set(dist.filter((f) => f.endsWith('.js')).flatMap(importsOf));
    for (const peer of Object.keys(pkg.peerDependencies)) {
      const optional = pkg.peerDependenciesMeta?.[peer]?.optional === true;
      expect([peer, optional || codeImports.has(peer)]).toEqual([peer, true]);
    }
  });
});
