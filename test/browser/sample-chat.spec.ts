import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsEvent, KwsServer, type KwsEventPayload } from 'nestjs-kws';
import { startSample, type RunningSample } from '../sample/start-sample.js';
import { ChatPage } from './chat-page.js';
import { chromiumMissing, launchChromium } from './chromium.js';
import { screenshotSideBySide } from './side-by-side.js';

const OUTPUT = 'test-output';
const missing = chromiumMissing();
const inCi = process.env.CI === 'true';
if (missing && !inCi) console.warn(`\n${'!'.repeat(100)}\n${missing}\n${'!'.repeat(100)}\n`);

it.runIf(missing !== undefined && inCi)('has Chromium to run the browser tests (CI=true)', () => {
  throw new Error(missing);
});

describe.skipIf(missing !== undefined)('the sample chat page in Chromium', () => {
  let browser: Browser;
  let sample: RunningSample;
  let alice: ChatPage;
  let bob: ChatPage;

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    sample = await startSample();
    browser = await launchChromium();
    alice = await ChatPage.open(browser, sample.httpUrl(''), 'alice');
    bob = await ChatPage.open(browser, sample.httpUrl(''), 'bob');
  });

  afterAll(async () => {
    await browser?.close();
    await sample?.app.close();
  });

  it('greets each user and shows both users online on both pages', async () => {
    await alice.waitForEntry('notice', 'Hello user: alice with UUID:');
    await alice.waitForEntry('notice', 'New user connected: bob');
    await bob.waitForEntry('notice', 'Hello user: bob with UUID:');
    await alice.waitForOnline(['alice', 'bob']);
    await bob.waitForOnline(['alice', 'bob']);
  });

  it('delivers a direct message to its recipient only', async () => {
    const carol = await ChatPage.open(browser, sample.httpUrl(''), 'carol');
    try {
      await alice.waitForOnline(['alice', 'bob', 'carol']);
      await alice.send('psst, bob', { to: 'bob' });
      await alice.send('hello everyone');

      await bob.waitForEntry('direct', 'psst, bob');
      // A named event with an acknowledgement: the sender sees the receipt.
      await alice.page
        .locator('#log li[data-kind="sent"][data-receipt="delivered"]')
        .filter({ hasText: 'psst, bob' })
        .waitFor();
      expect(
        await alice.entries('sent').filter({ hasText: 'psst, bob' }).locator('.who').textContent(),
      ).toBe('you → bob ✓ delivered');
      // Carol got the later broadcast, so the direct message had its chance to reach her too.
      await carol.waitForEntry('broadcast', 'hello everyone');
      expect(await carol.texts('direct')).toEqual([]);
      expect(await alice.texts('direct')).toEqual([]);
      expect(await alice.texts('sent')).toEqual(['psst, bob', 'hello everyone']);
    } finally {
      await carol.close();
    }
  });

  it('delivers a broadcast to the other page, signed by its sender', async () => {
    await bob.send('hi all, bob here');
    const entry = await alice.waitForEntry('broadcast', 'hi all, bob here');
    expect(await entry.getAttribute('data-from')).toBe('bob');
    expect(await entry.locator('.who').textContent()).toBe('bob → everyone');
  });

  it('fires CUSTOM_EVENT on the server and shows its listener ran', async () => {
    await alice.send('confetti', { to: 'bob', custom: true });
    await alice.waitForEntry('custom', 'CUSTOM_EVENT listener ran with data: confetti');
    await bob.waitForEntry('direct', 'confetti');
  });

  it('round-trips binary frames from the browser, byte for byte', async () => {
    await alice.page.click('#send-doodle');
    const sent = await alice.waitForEntry('sent-binary', 'bytes #');
    const summary = (await sent.locator('.text').textContent()) ?? '';
    expect(summary).toMatch(/^\d+ bytes #[0-9a-f]{8}$/);
    // The same length and checksum come back to the sender and reach bob, shown as a picture.
    for (const page of [alice, bob]) {
      const received = await page.waitForEntry('binary', summary);
      expect(await received.locator('img').count()).toBe(1);
    }
    const bytes = Number(summary.split(' ')[0]);
    await alice.page
      .locator('#byte-counter', { hasText: `${bytes} bytes sent, ${bytes} received` })
      .waitFor();
  });

  it('shows the conversation (screenshots in test-output/)', async () => {
    await sample.app.get(KwsServer).broadcast(
      JSON.stringify({
        from: 'server',
        to: '',
        event: 'announcement',
        data: 'Welcome to nestjs-kws!',
      }),
    );
    for (const page of [alice, bob])
      await page.waitForEntry('announcement', 'Welcome to nestjs-kws!');
    // docs/sample-chat.png is a copy of this file.
    await screenshotSideBySide(browser, [alice, bob], `${OUTPUT}/sample-chat.png`);
  });

  it('fires disconnect on the server when a page closes, and the other page sees the user leave', async () => {
    const disconnected: KwsEventPayload[] = [];
    const stop = sample.app.get(KwsServer).on(KwsEvent.Disconnect, (event) => {
      disconnected.push(event);
    });
    try {
      const dave = await ChatPage.open(browser, sample.httpUrl(''), 'dave');
      await bob.waitForOnline(['alice', 'bob', 'dave']);
      await dave.close();

      await bob.waitForEntry('notice', 'User left: dave');
      await bob.waitForOnline(['alice', 'bob']);
      expect(disconnected.map((event) => event.socketAttributes.user_id)).toEqual(['dave']);
    } finally {
      stop();
    }
  });

  it('reconnects by itself when the server restarts on the same port', async () => {
    const { port } = sample;
    await sample.app.close();
    for (const page of [alice, bob]) {
      await page.waitForEntry('state', 'Connection closed 1001 Server shutting down');
    }
    expect(await alice.page.locator('#online li').count()).toBe(0);

    sample = await startSample(port);

    for (const page of [alice, bob]) {
      await page.waitForState('open');
      await page.waitForOnline(['alice', 'bob']);
      expect(await page.texts('state')).toEqual([
        `Connected as ${page.user}`,
        'Connection closed 1001 Server shutting down',
        `Connected as ${page.user}`,
      ]);
    }
    // And the new server routes between them.
    await alice.send('back again', { to: 'bob' });
    await bob.waitForEntry('direct', 'back again');
  });
});
