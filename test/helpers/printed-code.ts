import { readFileSync } from 'node:fs';

/** Code compared as printed: `export` dropped, whitespace collapsed (prettier may wrap lines). */
function normalise(code: string): string {
  return code.replace(/\bexport /g, '').replace(/\s+/g, ' ');
}

/**
 * The code between `// printed:begin` and `// printed:end` in a spec file, normalised: a spec that
 * runs a documented example checks with it that the page still prints the code it runs.
 */
export function printedRegion(specUrl: string | URL): string {
  const source = readFileSync(new URL(specUrl), 'utf8');
  const match = /\/\/ printed:begin\n([\s\S]*?)\n\s*\/\/ printed:end/.exec(source);
  if (!match) throw new Error(`no printed:begin/printed:end region in ${String(specUrl)}`);
  return normalise(match[1]);
}

/** A documentation page's text, normalised the same way. */
export function pageText(pageUrl: string | URL): string {
  return normalise(readFileSync(new URL(pageUrl), 'utf8'));
}
