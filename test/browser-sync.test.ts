import { rmSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { ARTIFACTS, useChromium } from './helpers/browser';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { say } from './helpers/sync';
import { TEST_LIMITS } from './helpers/ws';

const WAIT = { timeout: 10_000 };
const WIDTHS = { laptop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

/**
 * The page's server (A) goes down while the other person keeps writing through another instance
 * (B) on the same data; when A is back, the page reconnects with the cursor of the last frame it
 * had and must show every message exactly once.
 */
describe('browser: the page resyncs after a dropped connection', function () {
  this.timeout(120_000);
  const browser = useChromium();
  const dataDir = tempDataDir();
  let a: TestServer;
  let b: TestServer;
  let viaB: Client;
  let alice: TestUser;
  const problems: string[] = [];

  before(async () => {
    a = await startTestServer({ ...TEST_LIMITS, DATA_DIR: dataDir }, { keepData: true });
    b = await startTestServer({ ...TEST_LIMITS, DATA_DIR: dataDir }, { keepData: true });
    viaB = client(b.url);
    alice = await registerAndLogin(viaB);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Logs `user` in on a new page; records the chat socket's URLs and the sync frames it receives. */
  async function logIn(user: TestUser, viewport: { width: number; height: number }) {
    const page = await browser.context.newPage();
    await page.setViewportSize(viewport);
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource|WebSocket/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const sockets: string[] = [];
    const syncs: { limited: boolean; frames: unknown[] }[] = [];
    page.on('websocket', (ws) => {
      sockets.push(ws.url());
      ws.on('framereceived', ({ payload }) => {
        const frame = JSON.parse(String(payload)) as { type: string; limited: boolean; frames: unknown[] };
        if (frame.type === 'sync') syncs.push(frame);
      });
    });
    await page.goto(`${a.url}/messenger/`);
    await page.fill('#login-username', user.username);
    await page.fill('#login-password', user.password);
    await page.click('#login-submit');
    await page.locator('#status', { hasText: 'online' }).waitFor(WAIT);
    return { page, sockets, syncs };
  }

  /** Stops A, runs `meanwhile` (on B), and starts A again on the same port and data. */
  async function dropWhile(page: Page, meanwhile: () => Promise<void>): Promise<void> {
    const port = a.port;
    await a.stop();
    await page.locator('#status', { hasText: 'offline' }).waitFor(WAIT);
    await meanwhile();
    a = await startTestServer({ ...TEST_LIMITS, DATA_DIR: dataDir, PORT: String(port) }, { keepData: true });
    await page.locator('#status', { hasText: 'online' }).waitFor({ timeout: 30_000 });
  }

  const count = (page: Page, text: string) => page.locator('.msg', { hasText: text }).count();

  for (const [width, viewport] of Object.entries(WIDTHS)) {
    it(`shows what was sent while it was offline exactly once (${width})`, async () => {
      const bob = await registerAndLogin(viaB);
      const { page, sockets, syncs } = await logIn(bob, viewport);
      await say(viaB, alice, `before the drop (${width})`, bob);
      await page.locator('.msg-pm', { hasText: `before the drop (${width})` }).waitFor(WAIT);

      const missed = [`while away 1 (${width})`, `while away 2 (${width})`, `a chat line while away (${width})`];
      await dropWhile(page, async () => {
        await say(viaB, alice, missed[0], bob);
        await say(viaB, alice, missed[1], bob);
        await say(viaB, alice, missed[2]);
      });
      await say(viaB, alice, `after the reconnect (${width})`, bob);
      await page.locator('.msg-pm', { hasText: `after the reconnect (${width})` }).waitFor(WAIT);

      expect(sockets.at(-1)).to.match(/[?&]since=/);
      expect(syncs.map((s) => s.limited)).to.deep.equal([false]);
      for (const text of [`before the drop (${width})`, ...missed, `after the reconnect (${width})`]) {
        expect(await count(page, text), text).to.equal(1);
      }
      await page.screenshot({ path: path.join(ARTIFACTS, `resync-${width}.png`) });
      expect(problems, problems.join('\n')).to.deep.equal([]);
      await page.close();
    });
  }

  it('reloads through the REST API when too much was missed (a limited sync)', async () => {
    const bob = await registerAndLogin(viaB);
    const { page, syncs } = await logIn(bob, WIDTHS.laptop);
    await dropWhile(page, async () => {
      await say(viaB, alice, 'a private message in the flood', bob);
      for (let i = 0; i < 1001; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, k) => say(viaB, alice, `flood ${i + k}`)));
      }
    });
    await page.locator('.msg-chat', { hasText: 'flood 1049' }).waitFor(WAIT);
    expect(syncs.map((s) => s.limited)).to.deep.equal([true]);
    expect(await count(page, 'a private message in the flood')).to.equal(1);
    expect(await count(page, 'flood 1049')).to.equal(1);
    await say(viaB, alice, 'live again', bob);
    await page.locator('.msg-pm', { hasText: 'live again' }).waitFor(WAIT);
    expect(problems, problems.join('\n')).to.deep.equal([]);
    await page.close();
  });
});
