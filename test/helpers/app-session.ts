import { afterEach, vi } from 'vitest';
import type { RunningApp } from './start-app.js';
import type { TestClient } from './ws-client.js';

/** The app and clients of the current test; both are torn down after it. */
export interface AppSession {
  /** The app the test started (assign the result of `startApp`); closed after the test. */
  running: RunningApp | undefined;
  /** Clients the test opened; terminated after the test, before the app closes. */
  readonly clients: TestClient[];
}

/**
 * Registers the per-test teardown shared by the single-app specs: terminate every client, close
 * the app, forget it and (with `restoreMocks`) undo the test's `vi.spyOn`s.
 */
export function useRunningApp(options: { restoreMocks?: boolean } = {}): AppSession {
  const session: AppSession = { running: undefined, clients: [] };
  afterEach(async () => {
    for (const client of session.clients.splice(0)) client.socket.terminate();
    await session.running?.app.close();
    session.running = undefined;
    if (options.restoreMocks) vi.restoreAllMocks();
  });
  return session;
}
