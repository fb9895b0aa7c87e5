import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** A page's text outside fenced code blocks (a link or heading inside code is not one). */
function prose(page: string): string {
  const text = readFileSync(join(root, page), 'utf8');
  return text.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, -1 for repeats. */
function anchors(page: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, heading] of prose(page).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** Relative link targets of a page: `[text](target)`, inline code left out. */
function links(page: string): string[] {
  const text = prose(page).replace(/`[^`\n]*`/g, '``');
  return Array.from(text.matchAll(/\]\(([^)\s]+)\)/g), ([, target]) => target).filter(
    (target) => !/^[a-z]+:/i.test(target),
  );
}

describe('README.md and docs/*.md', () => {
  it.each(pages)('%s: every relative link points at an existing file and heading', (page) => {
    const broken: string[] = [];
    for (const target of links(page)) {
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const file = path === '' ? join(root, page) : resolve(dirname(join(root, page)), path);
      if (!existsSync(file)) broken.push(`${target} (no file ${relative(root, file)})`);
      else if (anchor !== undefined && !anchors(relative(root, file)).has(anchor)) {
        broken.push(`${target} (no heading #${anchor} in ${relative(root, file)})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the README links every docs page, one line each (the landing page reaches everything)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const listed = readme.split('\n').filter((line) => line.startsWith('- '));
    const linked = new Set(
      listed.flatMap((line) =>
        Array.from(line.matchAll(/\]\((docs\/[^)#\s]+\.md)/g), ([, p]) => p),
      ),
    );
    expect(pages.filter((page) => page.startsWith('docs/') && !linked.has(page))).toEqual([]);
  });

  it('the README names the test command CI runs (npm test)', () => {
    expect(readFileSync(join(root, '.ci/run'), 'utf8')).toMatch(/^npm test\b/m);
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toMatch(/^npm test\b/m);
  });
});
