/**
 * JSON data as YAML (block style), enough for the AsyncAPI document: no YAML library needed.
 * Strings are written double-quoted with JSON escapes, which YAML reads the same way.
 */
export function toYaml(value: unknown): string {
  return `${block(value, 0)}\n`;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
// Text that reads back as the same string when left unquoted (no ': ', ' #', no leading indicator).
const PLAIN_TEXT = /^[A-Za-z][A-Za-z0-9 _.,;()'`/-]*$/;
// Words YAML 1.1 readers would take for booleans or null if left unquoted.
const RESERVED = /^(y|n|yes|no|on|off|true|false|null)$/i;

function block(value: unknown, indent: number): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (!value.length) return '[]';
    return value
      .map((item) => `${pad}-${nested(item, indent + 2, true)}`)
      .join('\n')
      .slice(indent);
  }
  if (isObject(value)) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    if (!entries.length) return '{}';
    return entries
      .map(([key, item]) => `${pad}${yamlKey(key)}:${nested(item, indent + 2, false)}`)
      .join('\n')
      .slice(indent);
  }
  return scalar(value);
}

/** What follows `key:` or `-`: a scalar on the same line, a collection on the next ones. */
function nested(value: unknown, indent: number, inList: boolean): string {
  if (typeof value === 'string' && isLiteral(value)) {
    const pad = ' '.repeat(indent);
    return ` |-\n${value
      .split('\n')
      .map((line) => (line ? pad + line : ''))
      .join('\n')}`;
  }
  const empty = Array.isArray(value)
    ? !value.length
    : isObject(value)
      ? !Object.keys(value).length
      : true;
  if (empty) return ` ${block(value, indent)}`;
  if (inList) return ` ${block(value, indent)}`;
  return `\n${' '.repeat(indent)}${block(value, indent)}`;
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return String(value);
  const text = String(value);
  if (PLAIN_TEXT.test(text) && !text.endsWith(' ') && !RESERVED.test(text)) return text;
  return JSON.stringify(text);
}

/** Multi-line text a literal block (`|-`) keeps as it is: no trailing blanks, tabs or CRs. */
function isLiteral(text: string): boolean {
  return text.includes('\n') && !/[ \t]$|[ \t]\n|\r|\t|^\s|\n$/.test(text);
}

function yamlKey(key: string): string {
  return PLAIN_KEY.test(key) && !RESERVED.test(key) ? key : JSON.stringify(key);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
