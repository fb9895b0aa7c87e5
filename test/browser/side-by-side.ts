import type { Browser } from 'playwright-core';
import type { ChatPage } from './chat-page.js';

const GAP = 12;

/** Screenshots each page and puts them next to each other in one PNG at `path`. */
export async function screenshotSideBySide(
  browser: Browser,
  pages: ChatPage[],
  path: string,
): Promise<void> {
  const sizes = pages.map((chat) => chat.page.viewportSize() ?? { width: 800, height: 600 });
  const shots = await Promise.all(pages.map((chat) => chat.page.screenshot()));
  const board = await browser.newPage({
    viewport: {
      width: sizes.reduce((sum, size) => sum + size.width + GAP, GAP),
      height: Math.max(...sizes.map((size) => size.height)) + 2 * GAP,
    },
  });
  try {
    const images = shots
      .map((png) => `<img style="flex:none" src="data:image/png;base64,${png.toString('base64')}">`)
      .join('');
    await board.setContent(
      `<body style="margin:0;display:flex;gap:${GAP}px;padding:${GAP}px;background:#9fb3c8">${images}</body>`,
    );
    await board.screenshot({ path });
  } finally {
    await board.close();
  }
}
