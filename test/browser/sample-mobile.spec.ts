import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsServer } from 'nestjs-kws';
import { eventually } from '../helpers/ws-client.js';
import { startSample, type RunningSample } from '../sample/start-sample.js';
import { ChatPage } from './chat-page.js';
import { chromiumMissing, launchChromium } from './chromium.js';

const PHONE = { width: 375, height: 667 };

describe.skipIf(chromiumMissing() !== undefined)('the sample chat page as a person uses it', () => {
  let browser: Browser;
  let sample: RunningSample;

  beforeAll(async () => {
    sample = await startSample();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await sample?.app.close();
  });

  async function announce(text: string): Promise<void> {
    const response = await fetch(sample.httpUrl('/announcements'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    expect(response.status).toBe(202);
  }

  it('one user in two tabs: both get direct messages; closing one is not leaving', async () => {
    const bob = await ChatPage.open(browser, sample.httpUrl(''), 'bob');
    const tab1 = await ChatPage.open(browser, sample.httpUrl(''), 'alice');
    const tab2 = await ChatPage.open(browser, sample.httpUrl(''), 'alice');
    try {
      await bob.waitForOnline(['alice', 'bob']); // alice once, with two tabs
      await bob.send('to every tab', { to: 'alice' });
      await tab1.waitForEntry('direct', 'to every tab');
      await tab2.waitForEntry('direct', 'to every tab');

      await tab2.close();
      const server = sample.app.get(KwsServer);
      await eventually(
        () => server.localCount,
        (n) => n === 2,
      );
      // Anything the server sent bob about that tab arrives before this announcement.
      await announce('after one tab closed');
      await bob.waitForEntry('announcement', 'after one tab closed');
      expect(await bob.texts('notice')).not.toContain('User left: alice');

      await bob.send('still reachable', { to: 'alice' });
      await tab1.waitForEntry('direct', 'still reachable');
      expect(await bob.texts('error')).toEqual([]);
    } finally {
      await Promise.all([bob.close(), tab1.close()]);
    }
  });

  it('Leave goes back to the join form, and joining again works', async () => {
    const carol = await ChatPage.open(browser, sample.httpUrl(''), 'carol');
    try {
      await carol.page.click('#leave');
      await carol.page.locator('#join').waitFor();
      expect(await carol.page.inputValue('#user-id')).toBe('carol');
      expect(await carol.page.locator('#chat').isHidden()).toBe(true);
      await carol.page.fill('#user-id', 'caroline');
      await carol.page.click('#join button');
      await carol.waitForState('open');
      await carol.waitForOnline(['caroline']);
      await carol.waitForEntry('notice', 'Hello user: caroline');
      expect(await carol.texts('state')).toEqual(['Connected as caroline']);
    } finally {
      await carol.close();
    }
  });

  it('is usable on a 375 px phone: nothing overflows, long messages wrap', async () => {
    const phone = await ChatPage.open(browser, sample.httpUrl(''), 'dora', PHONE);
    const desk = await ChatPage.open(browser, sample.httpUrl(''), 'erin');
    try {
      await phone.waitForOnline(['dora', 'erin']);
      const long = `https://example.com/${'a'.repeat(300)} and ${'word '.repeat(60)}`;
      await desk.send(long);
      const entry = await phone.waitForEntry('broadcast', 'https://example.com/');
      await phone.send(long.slice(0, 200), { to: 'erin' });
      await desk.waitForEntry('direct', long.slice(0, 200));

      // A string runs in the page, where the DOM types live (this project compiles without them).
      const overflow = await phone.page.evaluate(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      expect(overflow).toBeLessThanOrEqual(0);
      for (const locator of [
        entry,
        phone.page.locator('#text'),
        phone.page.locator('#send button'),
        phone.page.locator('#leave'),
      ]) {
        const box = await locator.boundingBox();
        expect(box).not.toBeNull();
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
      }
      await phone.page.screenshot({ path: 'test-output/sample-chat-375.png' });
    } finally {
      await Promise.all([phone.close(), desk.close()]);
    }
  });
});
