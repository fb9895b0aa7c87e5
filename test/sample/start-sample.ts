import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../sample/create-app.js';

export interface RunningSample {
  app: NestExpressApplication;
  port: number;
  wsUrl(path: string): string;
  httpUrl(path: string): string;
}

/**
 * Starts the sample exactly as main.ts builds it (page included) on loopback; port 0 picks an
 * ephemeral one, a given port restarts it where the pages expect it.
 */
export async function startSample(port = 0): Promise<RunningSample> {
  const app = await createApp(['error']);
  await app.listen(port, '127.0.0.1');
  const { port: bound } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    port: bound,
    wsUrl: (path) => `ws://127.0.0.1:${bound}${path}`,
    httpUrl: (path) => `http://127.0.0.1:${bound}${path}`,
  };
}
