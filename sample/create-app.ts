import type { LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppModule } from './app.module.js';

/**
 * tsc does not copy the page to .out/, so look for it next to this file (sample/, when run from
 * source) and then in the source tree (when run as .out/sample/).
 */
export function publicDir(): string {
  const candidates = ['./public', '../../sample/public'].map((path) =>
    fileURLToPath(new URL(path, import.meta.url)),
  );
  const found = candidates.find((dir) => existsSync(`${dir}/index.html`));
  if (!found) throw new Error(`The chat page is missing; looked in ${candidates.join(', ')}`);
  return found;
}

/** Where the built `nestjs-kws/client` lives (dist/client, ESM files the browser imports as they are). */
function clientDir(): string {
  return dirname(fileURLToPath(import.meta.resolve('nestjs-kws/client')));
}

/** The sample app, the page included; main.ts and the tests both build it here. */
export async function createApp(
  logger?: LoggerService | LogLevel[] | false,
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger });
  app.useStaticAssets(publicDir());
  // The page imports the shipped client (nestjs-kws/client) from here.
  app.useStaticAssets(clientDir(), { prefix: '/kws-client/' });
  return app;
}
