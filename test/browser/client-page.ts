import { build } from 'rolldown';
import type { Browser, BrowserContext, Page } from 'playwright-core';

let bundle: Promise<string> | undefined;

/** `nestjs-kws/client` as one script that sets `globalThis.Kws` (what a bundler would ship). */
function clientBundle(): Promise<string> {
  bundle ??= build({
    input: 'src/client/index.ts',
    write: false,
    logLevel: 'silent',
    output: { format: 'iife', name: 'Kws' },
  }).then(({ output }) => output[0].code);
  return bundle;
}

/**
 * A blank page of the app (`origin`) running one `KwsClient` on the browser's own WebSocket. The
 * page records state changes in `states`, `said` events in `said`, raw frames in `raw`, and
 * answers the server's `question` requests with "browser: <question>".
 */
export class ClientPage {
  private constructor(
    readonly page: Page,
    private readonly context: BrowserContext,
  ) {}

  static async open(
    browser: Browser,
    origin: string,
    url: string,
    options: Record<string, unknown> = {},
    before = '',
  ): Promise<ClientPage> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(8_000);
    await page.goto(origin);
    await page.addScriptTag({ content: `${before};${await clientBundle()}` });
    // Strings run in the page, where the DOM lives (this project compiles without DOM types).
    await page.evaluate(`
      window.states = [];
      window.said = [];
      window.raw = [];
      window.client = new Kws.KwsClient(${JSON.stringify(url)}, ${JSON.stringify(options)});
      client.onState((change) => states.push(change));
      client.on('said', (message) => void said.push(message));
      client.on('question', (text) => 'browser: ' + text);
      client.on('message', (data) =>
        raw.push(typeof data === 'string' ? data : [...new Uint8Array(data)].join(',')));
    `);
    return new ClientPage(page, context);
  }

  /** Evaluates an expression over `client`, `states`, `said`, `raw` in the page. */
  read<T>(expression: string): Promise<T> {
    return this.page.evaluate(expression) as Promise<T>;
  }

  async waitFor(expression: string): Promise<void> {
    await this.page.waitForFunction(expression);
  }

  waitForState(state: string): Promise<void> {
    return this.waitFor(`client.state === ${JSON.stringify(state)}`);
  }

  /** Network off then on again, as a laptop or phone does: the page gets `offline`, `online`. */
  async blinkNetwork(): Promise<void> {
    await this.context.setOffline(true);
    await this.context.setOffline(false);
  }

  close(): Promise<void> {
    return this.context.close();
  }
}
