import { Redis } from 'ioredis';
import { expect, vi } from 'vitest';

/**
 * The keys a Lua script touched, as Redis saw it: MONITOR shows each command a script runs (source
 * 'lua'), and COMMAND GETKEYS names the keys of each. For specs that check that a script declares
 * in KEYS every key it could know before the call.
 */
export class ScriptKeys {
  private readonly seen: Array<{ source: string; args: string[] }> = [];
  private markers = 0;

  private constructor(
    private readonly monitor: Redis,
    private readonly client: Redis,
  ) {
    monitor.on('monitor', (_time: string, args: string[], source: string) =>
      this.seen.push({ source, args }),
    );
  }

  static async watch(url: string): Promise<ScriptKeys> {
    return new ScriptKeys(await new Redis(url).monitor(), new Redis(url));
  }

  /**
   * Runs `eval` (one EVAL) and resolves with its result and the keys its script touched (the EVAL
   * is followed by an ECHO marker: MONITOR lists commands in the order Redis ran them).
   */
  async touchedBy<T>(evaluate: () => Promise<T>): Promise<{ result: T; keys: string[] }> {
    const result = await evaluate();
    const marker = `script-keys-marker-${++this.markers}`;
    await this.client.echo(marker);
    const isMarker = (c: { args: string[] }) => c.args[1] === marker;
    await vi.waitFor(() => expect(this.seen.some(isMarker)).toBe(true));
    const end = this.seen.findIndex(isMarker);
    const start = this.seen.findLastIndex(
      (c, i) => i < end && c.source !== 'lua' && c.args[0].toLowerCase() === 'eval',
    );
    const inner = this.seen.slice(start + 1, end).filter((c) => c.source === 'lua');
    this.seen.splice(0, end + 1);
    const keys = new Set<string>();
    for (const { args } of inner) {
      // PUBLISH, PUBSUB, TIME...: no key ("The command has no key arguments").
      const found = (await this.client.call('COMMAND', 'GETKEYS', ...args).catch(() => [])) as
        string[] | [];
      for (const key of found) keys.add(key);
    }
    return { result, keys: Array.from(keys) };
  }

  close(): void {
    this.monitor.disconnect();
    this.client.disconnect();
  }
}

/**
 * Every key touched was declared, or is one the script can only find while it runs: under
 * `prefix`, and (prefix removed) matching `found`.
 */
export function expectDeclared(
  touched: readonly string[],
  declared: readonly string[],
  prefix: string,
  found: RegExp,
): void {
  for (const key of touched) {
    if (declared.includes(key)) continue;
    const foundWhileRunning =
      key.startsWith(`${prefix}:`) && found.test(key.slice(prefix.length + 1));
    expect([key, foundWhileRunning]).toEqual([key, true]);
  }
}
