import { afterAll, afterEach, beforeAll } from 'vitest';
import { KwsEvent, KwsServer, type Kws } from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { echoApp } from '../apps/echo.app.js';
import { startApp, type RunningApp } from './start-app.js';
import { connectMany, eventually, type TestClient } from './ws-client.js';

export interface EchoUsers {
  readonly log: EventLog;
  readonly server: KwsServer;
  /** Opens users /ws/user0.. and returns their clients and connections, in the same order. */
  open(count: number): Promise<{ clients: TestClient[]; kws: Kws[] }>;
}

/**
 * One echo app (`/ws/:id`) for a whole describe block. Whatever a test opened is closed after it,
 * and the next test starts with no connection and an empty event log.
 */
export function useEchoUsers(): EchoUsers {
  let running: RunningApp;
  let clients: TestClient[] = [];

  beforeAll(async () => {
    running = await startApp(echoApp({ path: '/ws/:id' }));
  });

  afterEach(async () => {
    await Promise.all(clients.map((client) => client.close()));
    clients = [];
    await eventually(
      () => users.server.localCount,
      (count) => count === 0,
    );
    users.log.clear();
  });

  afterAll(async () => {
    await running.app.close();
  });

  const users: EchoUsers = {
    get log() {
      return running.app.get(EventLog);
    },
    get server() {
      return running.app.get(KwsServer);
    },
    async open(count) {
      const opened = await connectMany((i) => running.wsUrl(`/ws/user${i}`), count);
      clients.push(...opened);
      const connected = await eventually(
        () => users.log.named(KwsEvent.Connect),
        (events) => events.length === clients.length,
        15_000,
      );
      // Order connections like the clients: params('id') is user<index>.
      const byId = new Map(connected.map((event) => [event.kws.params('id'), event.kws]));
      return { clients: opened, kws: opened.map((_, i) => byId.get(`user${i}`)!) };
    },
  };
  return users;
}
