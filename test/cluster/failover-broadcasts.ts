import { expect } from 'vitest';
import { eventually } from '../helpers/ws-client.js';
import type { ClusterClient } from './cluster-client.js';

export interface SteadyOptions {
  /** The broadcasting command, e.g. 'broadcast' or 'broadcast-to lobby'. */
  command?: string;
  /** Messages are named `<name>0`, `<name>1`... */
  name?: string;
  /** Pause after a failed attempt (0: retry at once, as fast as the node answers). */
  pauseMs?: number;
}

/**
 * After a Redis outage or failover began: broadcasts from `client` until three in a row are
 * answered `ok` (20 s at most). Every other answer must be a Kws error that says what happened
 * (never the generic `KwsError`). Returns the names that succeeded (at least three).
 */
export async function broadcastUntilSteady(
  client: ClusterClient,
  { command = 'broadcast', name = 'after-', pauseMs = 100 }: SteadyOptions = {},
): Promise<string[]> {
  const succeeded: string[] = [];
  const deadline = Date.now() + 20_000;
  for (let i = 0, inARow = 0; inARow < 3 && Date.now() < deadline; i++) {
    const answer = await client.ask(`${command} ${name}${i}`, 10_000);
    if (answer === 'ok') {
      succeeded.push(`${name}${i}`);
      inARow++;
    } else {
      expect(answer).toMatch(/^Kws\w+Error$/);
      inARow = 0;
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
  expect(succeeded.length).toBeGreaterThanOrEqual(3);
  return succeeded;
}

/**
 * Waits until `client` got every message of `succeeded` (10 s at most) and returns all it got. By
 * name, not by count: a call that failed with "outcome unknown" may still have arrived.
 */
export function receivedAll(
  client: ClusterClient,
  succeeded: readonly string[],
): Promise<string[]> {
  return eventually(
    () => client.messages(),
    (all) => succeeded.every((message) => all.includes(message)),
    10_000,
  );
}
