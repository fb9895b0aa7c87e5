import { readFileSync } from 'node:fs';

/**
 * The public members of a class as its users see them: every method and accessor on the
 * prototype, less those its source declares `private`/`protected` or documents `@internal`
 * (what `stripInternal` leaves out of the published declarations).
 */
export function publicMembers(cls: abstract new (...args: never[]) => unknown, source: string) {
  const text = readFileSync(source, 'utf8');
  return Object.getOwnPropertyNames(cls.prototype).filter(
    (name) => name !== 'constructor' && !isHidden(text, name),
  );
}

function isHidden(source: string, name: string): boolean {
  // The declaration, at the class body's indentation: `  [private ][async ][get ]name(` or `<`.
  const declaration = new RegExp(
    `^ {2}((?:(?:private|protected|async|get|set|static) )*)${name}[(<]`,
    'm',
  ).exec(source);
  if (!declaration) throw new Error(`no declaration of "${name}" found in the source`);
  if (/private|protected/.test(declaration[1])) return true;
  const before = source.slice(0, declaration.index).trimEnd();
  if (!before.endsWith('*/')) return false;
  return before.slice(before.lastIndexOf('/**')).includes('@internal');
}
