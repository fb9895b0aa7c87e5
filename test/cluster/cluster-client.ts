import { connect, eventually, type TestClient } from '../helpers/ws-client.js';

/**
 * A ws client of a cluster test node: sends commands (see fixtures/cluster-commands.mjs) and
 * tells their answers ("re:...") apart from the traffic it receives.
 */
export class ClusterClient {
  private constructor(readonly client: TestClient) {}

  static async open(url: string): Promise<ClusterClient> {
    return new ClusterClient(await connect(url));
  }

  /** Sends a command and resolves with its answer (the text after "re:<verb> "). */
  async ask(command: string, timeoutMs = 5_000): Promise<string> {
    const before = this.replies().length;
    this.client.send(command);
    const replies = await eventually(
      () => this.replies(),
      (all) => all.length > before,
      timeoutMs,
    );
    if (replies.length <= before) throw new Error(`no answer to "${command}"`);
    return replies[before].slice(replies[before].indexOf(' ') + 1);
  }

  /** Everything received that is not a command answer. */
  messages(): string[] {
    return this.client.received.map((m) => m.text).filter((text) => !text.startsWith('re:'));
  }

  /** Waits until `count` non-answer messages arrived (or the time is up) and returns them all. */
  waitForMessages(count: number, timeoutMs = 5_000): Promise<string[]> {
    return eventually(
      () => this.messages(),
      (all) => all.length >= count,
      timeoutMs,
    );
  }

  terminate(): void {
    this.client.socket.terminate();
  }

  private replies(): string[] {
    return this.client.received.map((m) => m.text).filter((text) => text.startsWith('re:'));
  }
}

/** Asks again until the answer passes `check` or the time is up; returns the last answer. */
export async function askUntil(
  client: ClusterClient,
  command: string,
  check: (answer: string) => boolean,
  timeoutMs = 5_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let answer = await client.ask(command);
  while (!check(answer) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    answer = await client.ask(command);
  }
  return answer;
}
