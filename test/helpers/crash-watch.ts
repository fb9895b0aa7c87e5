import { afterEach, beforeEach } from 'vitest';

/** What escaped to the process during the current test. */
export interface CrashWatch {
  /** Unhandled rejections and uncaught exceptions, in order. */
  readonly crashes: unknown[];
  /**
   * Lets the turn end (an unhandled rejection is reported once the microtasks drain) and returns
   * what escaped so far, for `expect(await watch.settled()).toEqual([])`.
   */
  settled(): Promise<unknown[]>;
}

/**
 * Records every unhandled rejection and uncaught exception while a test runs (`process.on`
 * listeners, removed after it). Under Node's defaults each of them would exit the process.
 */
export function watchCrashes(): CrashWatch {
  const crashes: unknown[] = [];
  const record = (reason: unknown): void => {
    crashes.push(reason);
  };
  beforeEach(() => {
    crashes.length = 0;
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
  });
  afterEach(() => {
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
  });
  return {
    crashes,
    async settled() {
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
      return crashes;
    },
  };
}
