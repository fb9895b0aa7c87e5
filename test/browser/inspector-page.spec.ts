import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsServer } from '../../src/index.js';
import { ChannelPackets } from '../helpers/channel-packets.js';
import { PacketClient } from '../helpers/packet-client.js';
import { testRedisUrl } from '../helpers/redis-server.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';
import { ADMIN_TOKEN, AdminHttpGuard, inspectedApp } from '../inspector/inspector.app.js';
import { chromiumMissing, launchChromium } from './chromium.js';

const DOCS = resolve(import.meta.dirname, '../../docs');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 667 };
/** A presence meta that would run script if the page wrote it as HTML. */
const HOSTILE = '<img src=x onerror="globalThis.pwned=1">';

describe.skipIf(chromiumMissing() !== undefined)('the inspection page in Chromium', () => {
  let browser: Browser;
  let redis: { url: string; stop(): Promise<void> };
  /** The node whose page is open, and another node of the same cluster. */
  let running: RunningApp;
  let other: RunningApp;
  const clients: PacketClient[] = [];
  /** Members of channels (raw channel-protocol clients), one per node. */
  const members: ChannelPackets[] = [];

  beforeAll(async () => {
    redis = await testRedisUrl();
    const cluster = { redis: redis.url, keyPrefix: `kws-inspector-${randomUUID()}` };
    const options = { cluster, inspector: { guard: AdminHttpGuard, sampleInterval: 500 } };
    running = await startApp(inspectedApp(options, { channels: true }));
    other = await startApp(inspectedApp(options, { channels: true }));
    for (const node of [running, other]) {
      const server = node.app.get(KwsServer);
      await eventually(
        () => server.stats().cluster?.nodes,
        (n) => n === 2,
        10_000,
      );
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    for (const member of members) member.raw.close();
    await browser?.close();
    await running?.app.close();
    await other?.app.close();
    await redis?.stop();
  });

  async function open(viewport: { width: number; height: number }): Promise<{
    context: BrowserContext;
    page: Page;
  }> {
    const context = await browser.newContext({
      viewport,
      isMobile: viewport.width < 500,
      extraHTTPHeaders: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(running.httpUrl('/kws/inspect'));
    await page.locator('#where', { hasText: 'updated' }).waitFor({ timeout: 10_000 });
    expect(errors).toEqual([]);
    return { context, page };
  }

  function nodeId(node: RunningApp): string {
    return node.app.get(KwsServer).stats().cluster!.nodeId;
  }

  async function figure(page: Page, id: string, value: string): Promise<void> {
    await page
      .locator(`#${id}`, { hasText: new RegExp(`^${value}$`) })
      .waitFor({ timeout: 10_000 });
  }

  /** Real traffic for the charts: `echo` events with acks, from every client, `rounds` times. */
  async function traffic(rounds: number): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      await Promise.all(clients.map((client) => client.ask('echo', i)));
    }
  }

  it('at desktop width, on one node of two: counts follow clients, a connection is shown and closed from the page', async () => {
    const { context, page } = await open(DESKTOP);
    try {
      await figure(page, 'here', '0');
      await figure(page, 'nodes', '2');
      // ann and bob on this node, cat and dan on the other.
      for (const name of ['ann', 'bob', 'cat', 'dan']) {
        const node = name === 'ann' || name === 'bob' ? running : other;
        const client = await PacketClient.open(node.wsUrl(`/ws?name=${name}`));
        clients.push(client);
        await client.ask('join', 'lobby');
      }
      await clients[1].ask('join', 'ops');
      await clients[2].ask('join', 'support');
      await figure(page, 'here', '2');
      await figure(page, 'total', '4');
      await expect
        .poll(() => page.locator('#per-node tr').allTextContents())
        .toEqual(
          [running, other]
            .map((node) => node.app.get(KwsServer).stats().cluster!.nodeId)
            .sort()
            .map((id) => (id === nodeId(running) ? `this: ${id}2` : `${id}2`)),
        );
      await figure(page, 'room-count', '3');
      await expect
        .poll(() => page.locator('#rooms tr').allTextContents())
        .toEqual(['lobby4', 'ops1', 'support1']);

      // Rates and acks over a few sample intervals, so the charts draw lines.
      const server = running.app.get(KwsServer);
      const started = Date.now();
      let round = 0;
      while (Date.now() - started < 3_000) await traffic(++round % 5 === 0 ? 20 : 5);
      await page.locator('#chart-acks polyline').first().waitFor({ timeout: 10_000 });
      await page.locator('#chart-rates polyline').first().waitFor({ timeout: 10_000 });

      // Channels: presence from both nodes, one meta that would be HTML, three kept messages.
      for (const [node, user, status] of [
        [running, 'eve', HOSTILE],
        [other, 'fay', 'online'],
      ] as const) {
        const member = await ChannelPackets.open(node.wsUrl(`/ws?name=${user}`));
        members.push(member);
        expect((await member.join('room:lobby', { user, meta: { status } })).error).toBeUndefined();
      }
      for (const text of ['hi', 'hello', 'bye']) {
        await members[0].ask({ event: 'post', data: { channel: 'room:lobby', text } });
      }
      await expect
        .poll(() => page.locator('#channels tr').allTextContents(), { timeout: 10_000 })
        .toEqual(['room:lobby223']);
      await page.locator('#channels [data-channel="room:lobby"]').click();
      await page.locator('#channel-detail', { hasText: 'fay' }).waitFor();
      const detail = await page.locator('#channel-detail').textContent();
      expect(detail).toContain('room:lobby · 2 members · 2 presence keys · 3 kept');
      expect(detail).toContain(`{"status":${JSON.stringify(HOSTILE)}`);
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.evaluate('globalThis.pwned')).toBeUndefined();

      // Every node's charts, wherever the page is served: the cluster by default, or one node.
      await expect
        .poll(() =>
          page
            .locator('#series option')
            .evaluateAll((els) => els.map((el) => el.getAttribute('value'))),
        )
        .toEqual(['total', ...[nodeId(running), nodeId(other)].sort()]);
      expect(await page.locator('#series').inputValue()).toBe('total');
      await expect.poll(() => page.locator('#h-c2').textContent()).toContain('(cluster)');

      // A connection's rooms and attributes.
      const bob = [...server.connections()].find((kws) => kws.getAttribute('name') === 'bob')!;
      await page.locator('#local button', { hasText: bob.uuid }).click();
      await page.locator('#detail', { hasText: bob.uuid }).waitFor();
      expect(
        await page
          .locator('#detail [data-leave]')
          .evaluateAll((els) => els.map((el) => el.getAttribute('data-leave'))),
      ).toEqual(['lobby', 'ops']);
      expect(await page.locator('#detail').textContent()).toContain('"bob"');
      expect(await page.locator('#detail').textContent()).toContain('Channels (0)');

      await page.screenshot({ path: resolve(DOCS, 'inspector.png'), fullPage: true });

      // The other node's own series, picked on this node's page.
      await page.selectOption('#series', nodeId(other));
      await expect
        .poll(() => page.locator('#h-c1').textContent())
        .toContain(`(node ${nodeId(other).slice(0, 8)})`);
      await page.locator('#chart-connections polyline').first().waitFor();

      // Close one from the page (two clicks: arm, confirm).
      const ann = clients[0];
      const annUuid = [...server.connections()].find((k) => k.getAttribute('name') === 'ann')!.uuid;
      const close = page.locator(`#local [data-close="${annUuid}"]`);
      await close.click();
      await page.locator(`#local [data-close="${annUuid}"]`, { hasText: 'Confirm' }).click();
      expect(await ann.raw.closed).toEqual({ code: 1000, reason: 'Closed by the inspector' });
      clients.shift();
      await figure(page, 'here', '2');
      await figure(page, 'total', '5');
      await expect.poll(() => page.locator('#rooms tr').first().textContent()).toBe('lobby3');
    } finally {
      await context.close();
    }
  });

  it('at 375 px: everything fits the width, and the page works the same', async () => {
    const { context, page } = await open(PHONE);
    try {
      await figure(page, 'total', String(clients.length + members.length));
      await page.locator('#chart-rates polyline').first().waitFor({ timeout: 10_000 });
      // No horizontal scrolling at phone width.
      const overflow = await page.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect(overflow).toBe(0);
      const extra = await PacketClient.open(other.wsUrl('/ws?name=eve'));
      clients.push(extra);
      await figure(page, 'total', String(clients.length + members.length));
      await page.screenshot({ path: resolve(DOCS, 'inspector-mobile.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
