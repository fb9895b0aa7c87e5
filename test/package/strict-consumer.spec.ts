import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
/** The optional peers an app without cluster mode, Prometheus or health checks does not install. */
const OPTIONAL = new Set(['ioredis', 'prom-client', '@nestjs/terminus', '@opentelemetry/api']);

const APP = `
import { Module } from '@nestjs/common';
import { KwsModule, KwsServer, OnKwsEvent, type KwsEventPayload } from 'nestjs-kws';
import { KwsClient } from 'nestjs-kws/client';
import { KwsTestingApp } from 'nestjs-kws/testing';

export class Listeners {
  constructor(readonly server: KwsServer) {}
  @OnKwsEvent('chat')
  chat({ kws }: KwsEventPayload): string {
    return kws.uuid;
  }
}
@Module({ imports: [KwsModule.forRoot({ parser: 'json' })], providers: [Listeners] })
export class AppModule {}
export const client = KwsClient;
export const kit = KwsTestingApp;
`;

/**
 * A Nest app that installed nestjs-kws and its required peers only, compiled with a strict `tsc`
 * that checks every declaration file (`skipLibCheck: false`): the published typings must not
 * need an optional peer (ioredis, prom-client, terminus) to compile.
 */
describe('a strict consumer without the optional peers', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kws-consumer-'));
    const modules = join(dir, 'node_modules');
    mkdirSync(modules);
    const link = (name: string): void => {
      const target = join(modules, name);
      mkdirSync(resolve(target, '..'), { recursive: true });
      symlinkSync(join(root, 'node_modules', name), target);
    };
    for (const entry of readdirSync(join(root, 'node_modules'))) {
      if (entry.startsWith('.')) continue;
      if (!entry.startsWith('@')) {
        if (!OPTIONAL.has(entry)) link(entry);
        continue;
      }
      for (const scoped of readdirSync(join(root, 'node_modules', entry))) {
        if (!OPTIONAL.has(`${entry}/${scoped}`)) link(`${entry}/${scoped}`);
      }
    }
    // The package as npm installs it: a real copy (a link would resolve the peers from here).
    const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    const installed = join(modules, 'nestjs-kws');
    mkdirSync(installed);
    execFileSync('tar', [
      'xzf',
      join(dir, packed.split('\n').at(-1)!),
      '-C',
      installed,
      '--strip-components=1',
    ]);
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    writeFileSync(join(dir, 'app.ts'), APP);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        files: ['app.ts'],
      }),
    );
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles against the published .d.ts with none of them installed', () => {
    let output = '';
    try {
      execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', dir], { encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  }, 60_000);
});
