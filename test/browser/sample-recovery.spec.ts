import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsEvent, KwsServer, type KwsEventPayload } from 'nestjs-kws';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { startSample, type RunningSample } from '../sample/start-sample.js';
import { ChatPage } from './chat-page.js';
import { chromiumMissing, launchChromium } from './chromium.js';

// Connection-state recovery in the sample (docs/recovery.md): alice's page reaches the app
// through a TCP proxy; the test cuts that network path, the conversation goes on without her,
// then the path comes back and her page shows everything she missed, once, in order.
describe.skipIf(chromiumMissing() !== undefined)('the sample page across a network cut', () => {
  let browser: Browser;
  let sample: RunningSample;
  let proxy: FaultProxy;
  const seen: KwsEventPayload[] = [];

  beforeAll(async () => {
    sample = await startSample();
    proxy = await FaultProxy.start(sample.port);
    browser = await launchChromium();
    sample.app.get(KwsServer).on(KwsEvent.Disconnect, (event) => void seen.push(event));
    sample.app.get(KwsServer).on(KwsEvent.Resume, (event) => void seen.push(event));
  });

  afterAll(async () => {
    await browser?.close();
    await proxy?.stop();
    await sample?.app.close();
  });

  it('loses nothing: the page resumes its session and shows what it missed, once, in order', async () => {
    const alice = await ChatPage.open(browser, `http://127.0.0.1:${proxy.port}`, 'alice');
    const bob = await ChatPage.open(browser, sample.httpUrl(''), 'bob');
    await bob.waitForOnline(['alice', 'bob']);
    await bob.send('before the cut');
    await alice.waitForEntry('broadcast', 'before the cut');

    proxy.refuse(true);
    for (const connection of proxy.open()) connection.cut();
    await alice.waitForState('reconnecting');

    await bob.send('while away 1');
    await bob.send('while away 2', { to: 'alice' });
    const announced = await fetch(sample.httpUrl('/announcements'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'while away 3' }),
    });
    expect(announced.status).toBe(202);
    // bob's direct message was delivered to alice's session (kept for her), not refused.
    await bob.page
      .locator('#log li[data-kind="sent"][data-receipt="delivered"]')
      .filter({ hasText: 'while away 2' })
      .waitFor();

    proxy.refuse(false);
    await alice.page
      .locator('#status', { hasText: 'session resumed' })
      .waitFor({ timeout: 15_000 });
    await alice.waitForEntry('announcement', 'while away 3');
    const missed = (await alice.page.locator('#log li .text').allTextContents()).filter((text) =>
      text.startsWith('while away'),
    );
    expect(missed).toEqual(['while away 1', 'while away 2', 'while away 3']);
    expect(await alice.texts('direct')).toEqual(['while away 2']);

    // One session all along: no "User left" for bob, no disconnect, one resume on the server.
    expect(await bob.texts('notice')).not.toContainEqual(expect.stringContaining('User left'));
    expect(seen.map((event) => [event.name, event.socketAttributes.user_id])).toEqual([
      [KwsEvent.Resume, 'alice'],
    ]);
    await alice.close();
    await bob.close();
  });
});
