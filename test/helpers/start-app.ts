import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';

export type Platform = 'express' | 'fastify';

export interface RunningApp {
  app: INestApplication;
  port: number;
  /** ws:// URL of a path on the app's own port. */
  wsUrl(path: string): string;
  httpUrl(path: string): string;
}

/** Starts a real Nest application on an ephemeral loopback port. */
export async function startApp(
  module: Type | DynamicModule,
  platform: Platform = 'express',
  /** Runs before `listen`, as main.ts would (`useGlobalPipes`, ...). */
  configure?: (app: INestApplication) => void,
): Promise<RunningApp> {
  const adapter = platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
  // abortOnError: false, so a bootstrap failure rejects here instead of exiting the test worker.
  const app = await NestFactory.create(module, adapter, {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  configure?.(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    port,
    wsUrl: (path) => `ws://127.0.0.1:${port}${path}`,
    httpUrl: (path) => `http://127.0.0.1:${port}${path}`,
  };
}
