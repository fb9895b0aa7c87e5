import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';

/** What the chat page shows, read the way a user reads it (the DOM), for one user. */
export class ChatPage {
  private constructor(
    readonly user: string,
    readonly page: Page,
    private readonly context: BrowserContext,
  ) {}

  /**
   * The page in a fresh browser context (own cookies, storage), joined as `user` via its form;
   * `viewport` 375 × 667 is a phone.
   */
  static async open(
    browser: Browser,
    baseUrl: string,
    user: string,
    viewport = { width: 760, height: 560 },
  ): Promise<ChatPage> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    // Fail in seconds, not Playwright's default 30 s, when something never shows up.
    page.setDefaultTimeout(8_000);
    await page.goto(`${baseUrl}/`);
    await page.fill('#user-id', user);
    await page.click('#join button');
    const chat = new ChatPage(user, page, context);
    await chat.waitForState('open');
    return chat;
  }

  /** Log entries of one kind (sent, direct, broadcast, custom, binary, notice, state, error…). */
  entries(kind: string): Locator {
    return this.page.locator(`#log li[data-kind="${kind}"]`);
  }

  async texts(kind: string): Promise<string[]> {
    return this.entries(kind).locator('.text').allTextContents();
  }

  /** Waits for an entry of `kind` whose text contains `text`. */
  async waitForEntry(kind: string, text: string): Promise<Locator> {
    const entry = this.entries(kind).filter({ hasText: text }).last();
    await entry.waitFor();
    return entry;
  }

  async waitForState(state: 'connecting' | 'open' | 'reconnecting' | 'closed'): Promise<void> {
    await this.page.locator(`#status[data-state="${state}"]`).waitFor();
  }

  /** Waits until the "Online" list shows exactly `users` (sorted). */
  async waitForOnline(users: string[]): Promise<void> {
    const expected = JSON.stringify([...users].sort().join(','));
    // A string runs in the page, where the DOM types live (this project compiles without them).
    await this.page.waitForFunction(
      `[...document.querySelectorAll('#online li')].map((item) => item.dataset.user).join(',') === ${expected}`,
    );
  }

  /** Types and sends a message; `to` '' is everyone. */
  async send(text: string, { to = '', custom = false } = {}): Promise<void> {
    await this.page.selectOption('#to', to);
    await this.page.setChecked('#custom', custom);
    await this.page.fill('#text', text);
    await this.page.click('#send button');
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
