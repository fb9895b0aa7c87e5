import { Parser } from '@asyncapi/parser';
import { expect } from 'vitest';

const parser = new Parser();

// DiagnosticSeverity: 0 error, 1 warning, 2 information, 3 hint.
const WARNING = 1;

/**
 * Parses a document (JSON or YAML text) with the official AsyncAPI parser and fails on any error
 * or warning; returns the parsed document as JSON data (references resolved).
 */
export async function validAsyncApi(text: string): Promise<Record<string, unknown>> {
  const { document, diagnostics } = await parser.parse(text);
  const problems = diagnostics
    .filter((diagnostic) => diagnostic.severity <= WARNING)
    .map((diagnostic) => `${diagnostic.path.join('/')}: ${diagnostic.message}`);
  expect(problems).toEqual([]);
  expect(document).toBeDefined();
  return document!.json() as Record<string, unknown>;
}
