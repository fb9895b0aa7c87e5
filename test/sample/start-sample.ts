import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach } from 'vitest';
import { createApp } from '../../sample/create-app.js';
import { join, type ChatUser } from './chat-users.js';

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

export interface SampleSession {
  /** The sample started for the current test. */
  readonly sample: RunningSample;
  /** Joins the chat as `id`; the socket is cut after the test. */
  joinAs(id: string): Promise<ChatUser>;
}

/** A fresh sample app for each test of the describe block, and the users it joined. */
export function useSample(): SampleSession {
  let sample: RunningSample;
  const users: ChatUser[] = [];

  beforeEach(async () => {
    sample = await startSample();
  });

  afterEach(async () => {
    for (const user of users.splice(0)) user.client.socket.terminate();
    await sample.app.close();
  });

  return {
    get sample() {
      return sample;
    },
    async joinAs(id) {
      const user = await join(sample.wsUrl, id);
      users.push(user);
      return user;
    },
  };
}
