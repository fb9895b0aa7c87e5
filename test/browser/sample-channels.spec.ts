import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSample, type RunningSample } from '../sample/start-sample.js';
import { ChatPage } from './chat-page.js';
import { chromiumMissing, launchChromium } from './chromium.js';

const missing = chromiumMissing();
const DESKTOP = { width: 760, height: 560 };
const PHONE = { width: 375, height: 667 };

/** Rooms as channels in the sample page: presence is the Online list, history on join. */
describe.skipIf(missing !== undefined).each([
  ['desktop', DESKTOP],
  ['375 px phone', PHONE],
])('the sample chat rooms (channels) in Chromium, %s', (name, viewport) => {
  let browser: Browser;
  let sample: RunningSample;

  beforeAll(async () => {
    mkdirSync('test-output', { recursive: true });
    sample = await startSample();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await sample?.app.close();
  });

  const open = (user: string) => ChatPage.open(browser, sample.httpUrl(''), user, viewport);

  it('two users and one user in two tabs: the Online list is the lobby presence, one line per user', async () => {
    const alice = await open('alice');
    const tab2 = await open('alice');
    const bob = await open('bob');
    try {
      await bob.waitForOnline(['alice', 'bob']);
      await alice.waitForOnline(['alice', 'bob']);
      expect(await bob.page.locator('#online li[data-user="alice"]').textContent()).toBe(
        'alice ×2',
      );
      // A room message reaches every member, every tab of a user included.
      await alice.waitForEntry('joined', 'Joined room:lobby');
      await alice.send('hello lobby', { to: 'room:lobby' });
      for (const page of [alice, tab2, bob]) {
        const entry = await page.waitForEntry('room', 'hello lobby');
        expect(await entry.locator('.who').textContent()).toBe('alice → lobby');
      }
      // Closing one tab is not leaving: alice stays, once.
      await tab2.close();
      await bob.page.waitForFunction(
        `document.querySelector('#online li[data-user="alice"]')?.textContent === 'alice'`,
      );
      await bob.waitForOnline(['alice', 'bob']);
      await alice.close();
      await bob.waitForOnline(['bob']);
    } finally {
      await bob.close();
    }
  });

  it('a join the server refuses shows its reason; an allowed one joins', async () => {
    const guest = await open('guest');
    const staff = await open('staff-sam');
    try {
      await guest.page.click('#join-staff');
      await guest.waitForEntry(
        'error',
        'Join of room:staff refused: The staff room is for staff only',
      );
      expect(await guest.page.locator('#to option[value="room:staff"]').count()).toBe(0);
      await staff.page.click('#join-staff');
      await staff.waitForEntry('joined', 'Joined room:staff');
      await staff.send('staff only', { to: 'room:staff' });
      await staff.waitForEntry('room', 'staff only');
      expect(await guest.texts('room')).toEqual([]);
      const button = await guest.page.locator('#join-staff').boundingBox();
      expect(button!.x + button!.width).toBeLessThanOrEqual(viewport.width);
      const overflow = await guest.page.evaluate(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      expect(overflow).toBeLessThanOrEqual(0);
    } finally {
      await Promise.all([guest.close(), staff.close()]);
    }
  });

  it('history after a reload: the lobby shows what was said before, once', async () => {
    const dora = await open('dora');
    const erin = await open('erin');
    try {
      await dora.waitForEntry('joined', 'Joined room:lobby');
      await dora.send('before the reload', { to: 'room:lobby' });
      await erin.waitForEntry('room', 'before the reload');
      await erin.page.reload();
      await erin.waitForState('open');
      const earlier = await erin.waitForEntry('history', 'before the reload');
      expect(await earlier.locator('.who').textContent()).toBe('dora → lobby (earlier)');
      expect(await erin.texts('history')).toContain('before the reload');
      expect(
        (await erin.texts('history')).filter((text) => text === 'before the reload'),
      ).toHaveLength(1);
      expect(await erin.texts('room')).toEqual([]);
      await dora.send('after the reload', { to: 'room:lobby' });
      await erin.waitForEntry('room', 'after the reload');
      await erin.page.screenshot({
        path: `test-output/sample-rooms-${name.replace(/\W+/g, '-')}.png`,
      });
    } finally {
      await Promise.all([dora.close(), erin.close()]);
    }
  });
});
