import { expect } from 'vitest';
import type { ClusterClient } from './cluster-client.js';

/**
 * After a Redis failover began: broadcasts `after-0`, `after-1`... from `client` until three in a
 * row are answered `ok` (20 s at most). Every other answer must be a Kws error that says so.
 * Returns the names that succeeded (at least three).
 */
export async function broadcastUntilSteady(client: ClusterClient): Promise<string[]> {
  const succeeded: string[] = [];
  const deadline = Date.now() + 20_000;
  for (let i = 0, inARow = 0; inARow < 3 && Date.now() < deadline; i++) {
    const answer = await client.ask(`broadcast after-${i}`, 10_000);
    if (answer === 'ok') {
      succeeded.push(`after-${i}`);
      inARow++;
    } else {
      expect(answer).toMatch(/^Kws\w+Error$/);
      inARow = 0;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  expect(succeeded.length).toBeGreaterThanOrEqual(3);
  return succeeded;
}
