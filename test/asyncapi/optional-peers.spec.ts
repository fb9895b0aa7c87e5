import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { validAsyncApi } from './asyncapi-validate.js';

const run = promisify(execFile);

// A resolve hook that answers "not installed" for the optional peers the document can use.
const HOOK = `
export async function resolve(specifier, context, next) {
  if (specifier === 'class-validator' || specifier.startsWith('@nestjs/swagger')) {
    const error = new Error('Cannot find package ' + specifier);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}`;
const REGISTER = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}));`;

describe('the AsyncAPI document without its optional peers (uses dist: npm run build)', () => {
  it('nestjs-kws loads, and the document builds and validates, without class-validator nor @nestjs/swagger', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(REGISTER)}`,
        'test/asyncapi/fixtures/without-optional-peers.mjs',
      ],
      { timeout: 60_000 },
    );
    const document = JSON.parse(stdout) as Record<string, any>;
    await validAsyncApi(stdout);
    expect(document.channels.default.messages['client.note'].payload.properties.data).toEqual({
      $ref: '#/components/schemas/Note',
    });
    expect(document.components.schemas.Note.description).toMatch(/no class-validator/);
  });
});
