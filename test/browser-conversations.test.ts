import { expect } from 'chai';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expectNoAxeViolations } from './helpers/axe';
import { ARTIFACTS, openLoggedIn, useChromium } from './helpers/browser';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { startTestServer, type TestServer } from './helpers/server';
import { TEST_LIMITS } from './helpers/ws';

const WAIT = { timeout: 10_000 };
const VIEWPORTS = { laptop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
/** The views this slice adds; the login and chat views' own contrast issues are another slice's. */
const CONVERSATION_PARTS = ['.conversations', '#conversation-view'];

describe('browser: conversations, unread badges and read receipts at /messenger/', function () {
  this.timeout(90_000);
  const browser = useChromium();
  let server: TestServer;
  let api: Client;
  const problems: string[] = [];
  const pages: Page[] = [];

  before(async () => {
    server = await startTestServer(TEST_LIMITS);
    api = client(server.url);
  });
  after(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((p) => p.close()));
  });

  async function logIn(user: TestUser, viewport: { width: number; height: number }): Promise<Page> {
    const page = await openLoggedIn(browser.context, user, { url: server.url, viewport, problems });
    pages.push(page);
    return page;
  }

  const entry = (page: Page, username: string) => page.locator(`.conversation-item[data-with="${username}"]`);
  const badge = (page: Page, username: string) => entry(page, username).locator('.badge');

  for (const [width, viewport] of Object.entries(VIEWPORTS)) {
    it(`shows an unread badge for a PM from another page, clears it on viewing, and shows the sender "seen" (${width})`, async () => {
      const alice = await registerAndLogin(api);
      const bob = await registerAndLogin(api);
      const alicePage = await logIn(alice, viewport);
      const bobPage = await logIn(bob, viewport);

      await bobPage.fill('#input', `/pm ${alice.username} are you there?`);
      await bobPage.press('#input', 'Enter');
      await badge(alicePage, bob.username).filter({ hasText: '1' }).waitFor(WAIT);
      expect(await badge(alicePage, bob.username).getAttribute('aria-label')).to.equal('1 unread');
      // The sender's sidebar has the conversation too, with nothing unread.
      await entry(bobPage, alice.username).waitFor(WAIT);
      expect(await badge(bobPage, alice.username).count()).to.equal(0);
      await bobPage.click(`.conversation-item[data-with="${alice.username}"]`);
      await bobPage.locator('#conversation-messages .msg-out', { hasText: 'are you there?' }).waitFor(WAIT);
      expect(await bobPage.locator('.receipt').count()).to.equal(0);
      await alicePage.screenshot({ path: path.join(ARTIFACTS, `conversations-${width}-unread.png`) });
      await expectNoAxeViolations(alicePage, `the conversation sidebar with a badge (${width})`, CONVERSATION_PARTS);

      await alicePage.click(`.conversation-item[data-with="${bob.username}"]`);
      await alicePage.locator('#conversation-messages .msg-in', { hasText: 'are you there?' }).waitFor(WAIT);
      await badge(alicePage, bob.username).waitFor({ state: 'detached', ...WAIT });
      // Viewing marked it read on the server too, and bob's open view shows the receipt.
      await bobPage.locator('#conversation-messages .msg-out .receipt', { hasText: 'seen' }).waitFor(WAIT);
      const listed = await api.get('/messenger/conversations', { token: alice.access_token });
      expect(listed.body.conversations.map((e: { unread: number }) => e.unread)).to.deep.equal([0]);

      // A reply while alice has the conversation open arrives there, read at once: no badge.
      await bobPage.fill('#input', `/pm ${alice.username} good`);
      await bobPage.press('#input', 'Enter');
      await alicePage.locator('#conversation-messages .msg-in', { hasText: 'good' }).waitFor(WAIT);
      await bobPage.locator('#conversation-messages .msg-out .receipt').nth(1).waitFor(WAIT);
      expect(await badge(alicePage, bob.username).count()).to.equal(0);
      await alicePage.screenshot({ path: path.join(ARTIFACTS, `conversations-${width}-open.png`) });
      await bobPage.screenshot({ path: path.join(ARTIFACTS, `conversations-${width}-seen.png`) });
      await expectNoAxeViolations(alicePage, `a conversation (${width})`, CONVERSATION_PARTS);

      // After a reload the sender still sees how far alice read (the conversation list keeps it).
      await bobPage.reload();
      await bobPage.locator('#status', { hasText: 'online' }).waitFor(WAIT);
      await bobPage.click(`.conversation-item[data-with="${alice.username}"]`);
      await bobPage.locator('#conversation-messages .msg-out .receipt').nth(1).waitFor(WAIT);

      // Esc goes back to everyone.
      await alicePage.press('#input', 'Escape');
      await alicePage.locator('#conversation-view').waitFor({ state: 'hidden', ...WAIT });
      expect(await alicePage.locator('#timeline').isVisible()).to.equal(true);
      expect(problems, problems.join('\n')).to.deep.equal([]);
    });
  }

  it('pages a conversation\'s history back with "Older messages", and clears the badge on the reader\'s other page', async () => {
    const alice = await registerAndLogin(api);
    const carol = await registerAndLogin(api);
    for (let i = 0; i < 35; i++) {
      const from = i % 2 ? alice : carol;
      const to = i % 2 ? carol : alice;
      const sent = await api.post('/messenger/messages', {
        token: from.access_token,
        json: { to: to.username, text: `line ${i}` },
      });
      expect(sent.status).to.equal(201);
    }
    const page = await logIn(alice, VIEWPORTS.laptop);
    const otherTab = await logIn(alice, VIEWPORTS.phone);
    await badge(page, carol.username).filter({ hasText: '18' }).waitFor(WAIT);
    await badge(otherTab, carol.username).filter({ hasText: '18' }).waitFor(WAIT);
    await page.click(`.conversation-item[data-with="${carol.username}"]`);
    await page.locator('#conversation-messages .msg', { hasText: 'line 34' }).waitFor(WAIT);
    expect(await page.locator('#conversation-messages .msg').count()).to.equal(30);
    await page.click('#conversation-older');
    await page.locator('#conversation-messages .msg', { hasText: 'line 0' }).waitFor(WAIT);
    const texts = await page.locator('#conversation-messages .msg .text').allTextContents();
    expect(texts).to.deep.equal(Array.from({ length: 35 }, (_, i) => `line ${i}`));
    expect(await page.locator('#conversation-older').isHidden()).to.equal(true);
    await badge(page, carol.username).waitFor({ state: 'detached', ...WAIT });
    // The read frame reaches alice's other page, which clears its badge too.
    await badge(otherTab, carol.username).waitFor({ state: 'detached', ...WAIT });
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });
});
