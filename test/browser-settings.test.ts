import { expect } from 'chai';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expectNoAxeViolations } from './helpers/axe';
import { ARTIFACTS, useChromium } from './helpers/browser';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { png } from './helpers/images';
import { startTestServer, type TestServer } from './helpers/server';
import { TEST_LIMITS } from './helpers/ws';

const WAIT = { timeout: 10_000 };
const VIEWPORTS = { laptop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;
/** How Chromium logs a response with an error status: expected where the page is shown an API error on purpose. */
const HTTP_ERROR_LOG = /^Failed to load resource: the server responded with a status of 4\d\d/;

describe('browser: settings, profile, user card and blocking, and accessibility of every view', function () {
  this.timeout(90_000);
  const browser = useChromium();
  let server: TestServer;
  let api: Client;
  /** Console errors and CSP violations (a strict CSP that blocks the preview would show here). */
  const problems: string[] = [];

  before(async () => {
    server = await startTestServer(TEST_LIMITS);
    api = client(server.url);
  });
  after(async () => {
    await server?.stop();
  });
  afterEach(() => {
    expect(problems.splice(0)).to.deep.equal([]);
  });

  async function openPage(who: string, viewport: { width: number; height: number }): Promise<Page> {
    const page = await browser.context.newPage();
    await page.setViewportSize(viewport);
    page.on('console', (message) => {
      if (message.type() === 'error' && !HTTP_ERROR_LOG.test(message.text()))
        problems.push(`${who}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`${who}: ${error.message}`));
    await page.goto(`${server.url}/messenger/`);
    return page;
  }

  async function logIn(user: TestUser, viewport: { width: number; height: number }): Promise<Page> {
    const page = await openPage(user.username, viewport);
    await page.fill('#login-username', user.username);
    await page.fill('#login-password', user.password);
    await page.press('#login-password', 'Enter');
    await page.locator('#status', { hasText: 'online' }).waitFor(WAIT);
    return page;
  }

  const me = async (user: TestUser) => (await api.get('/users/me', { token: user.access_token })).body;
  const pm = (from: TestUser, to: TestUser, text: string) =>
    api.post('/messenger/messages', { token: from.access_token, json: { to: to.username, text } });

  for (const [width, viewport] of Object.entries(VIEWPORTS)) {
    describe(`at ${width} width (${viewport.width}x${viewport.height})`, () => {
      let alice: TestUser;
      let bob: TestUser;
      beforeEach(async () => {
        alice = await registerAndLogin(api);
        bob = await registerAndLogin(api);
      });

      it('has no axe-core violations on the login view and the chat view; Enter sends; focus is visible', async () => {
        const page = await openPage('anonymous', viewport);
        await page.locator('#login-form').waitFor(WAIT);
        await expectNoAxeViolations(page, `the login view (${width})`);
        await page.close();

        await pm(bob, alice, 'a private line in the history');
        const chat = await logIn(alice, viewport);
        await chat.locator('.msg-pm.msg-in', { hasText: 'a private line in the history' }).waitFor(WAIT);
        await chat.fill('#input', 'a line for everyone');
        await chat.press('#input', 'Enter');
        await chat.locator('.msg-chat', { hasText: 'a line for everyone' }).waitFor(WAIT);
        expect(await chat.inputValue('#input')).to.equal('');
        expect(await chat.locator('main:visible').count(), 'one main landmark in view').to.equal(1);
        expect(await chat.locator('main #composer').count(), 'the composer is inside main').to.equal(1);
        await expectNoAxeViolations(chat, `the chat view (${width})`);

        // Keyboard focus shows: tab to the Settings button, which draws an outline.
        await chat.focus('#me').catch(() => {});
        for (let i = 0; i < 10; i++) {
          await chat.keyboard.press('Tab');
          if (await chat.evaluate(() => document.activeElement?.id === 'open-settings')) break;
        }
        const outline = await chat.evaluate(() => {
          const style = getComputedStyle(document.activeElement!);
          return { id: document.activeElement!.id, style: style.outlineStyle, width: style.outlineWidth };
        });
        expect(outline).to.deep.include({ id: 'open-settings', style: 'solid', width: '2px' });
        await chat.close();
      });

      it('saves every setting and profile field from the pane (as the API then reports), and Esc closes it', async () => {
        const page = await logIn(alice, viewport);
        await page.click('#open-settings');
        await page.locator('#settings-pane[open]').waitFor(WAIT);
        await page.locator('#settings-status', { hasText: /^$/ }).waitFor(WAIT);
        const receipts = typeof (await me(alice)).settings.read_receipts === 'boolean';
        expect(
          await page.isVisible('#settings-read-receipts'),
          'the read receipts toggle iff the API has the setting',
        ).to.equal(receipts);
        await expectNoAxeViolations(page, `the settings pane (${width})`);

        await page.fill('#settings-first-name', 'Alice');
        await page.fill('#settings-last-name', 'Liddell');
        await page.fill('#settings-phone', '+44 20 7946 0000');
        await page.selectOption('#settings-pm-policy', 'nobody');
        await page.check('#settings-phone-public');
        if (receipts) await page.uncheck('#settings-read-receipts');
        await page.click('#settings-save');
        await page.locator('#settings-status', { hasText: 'Saved.' }).waitFor(WAIT);
        const saved = await me(alice);
        expect(saved).to.include({ first_name: 'Alice', last_name: 'Liddell', phone: '+44 20 7946 0000' });
        expect(saved.settings).to.include({
          pm_policy: 'nobody',
          phone_public: true,
          ...(receipts ? { read_receipts: false } : {}),
        });
        expectStatusOf(await pm(bob, alice, 'refused by policy'), 403);
        const profile = (await api.get(`/users/${alice.username}`)).body;
        expect(profile.phone).to.equal('+44 20 7946 0000');
        await page.screenshot({ path: path.join(ARTIFACTS, `settings-${width}.png`) });

        // Clearing a field clears it; a policy back to everyone lets PMs through again.
        await page.fill('#settings-last-name', '');
        await page.selectOption('#settings-pm-policy', 'everyone');
        await page.uncheck('#settings-phone-public');
        await page.click('#settings-save');
        await page.locator('#settings-status', { hasText: 'Saved.' }).waitFor(WAIT);
        const again = await me(alice);
        expect(again).to.include({ last_name: null });
        expect(again.settings).to.include({ pm_policy: 'everyone', phone_public: false });
        expect((await api.get(`/users/${alice.username}`)).body).to.not.have.property('phone');

        // A value the API refuses: the pane says why, and nothing of the change is stored.
        await page.fill('#settings-first-name', 'Al\u0007ice');
        await page.selectOption('#settings-pm-policy', 'nobody');
        await page.click('#settings-save');
        await page
          .locator('#settings-status', { hasText: 'first_name must not contain control characters' })
          .waitFor(WAIT);
        expect((await me(alice)).settings.pm_policy).to.equal('everyone');

        await page.press('#settings-first-name', 'Escape');
        await page.locator('#settings-pane').waitFor({ state: 'hidden', ...WAIT });
        expect(await page.isVisible('#composer')).to.equal(true);
        await page.close();
      });

      it('previews a chosen picture before uploading it, then stores it', async () => {
        const page = await logIn(alice, viewport);
        await page.click('#open-settings');
        await page.locator('#settings-status', { hasText: /^$/ }).waitFor(WAIT);
        expect(await page.isVisible('#picture-preview')).to.equal(false);
        const bytes = png([0, 128, 255]);
        await page.setInputFiles('#picture-file', { name: 'me.png', mimeType: 'image/png', buffer: bytes });
        await page.locator('#picture-status', { hasText: 'Preview' }).waitFor(WAIT);
        expect(await page.getAttribute('#picture-preview', 'src')).to.match(/^data:image\/png;base64,/);
        expect(
          await page.evaluate(() => (document.getElementById('picture-preview') as HTMLImageElement).naturalWidth),
        ).to.equal(1);
        // Nothing is stored before the upload.
        expect((await me(alice)).picture).to.equal(null);
        await page.click('#picture-upload');
        await page.locator('#picture-status', { hasText: 'Picture saved.' }).waitFor(WAIT);
        const url = (await me(alice)).picture;
        expect(url).to.equal(`/users/${alice.username}/picture`);
        const stored = await fetch(server.url + url);
        expect(Buffer.from(await stored.arrayBuffer()).equals(bytes)).to.equal(true);
        expect(await page.getAttribute('#picture-preview', 'src')).to.match(new RegExp(`^${url}\\?v=`));
        await page.waitForFunction(
          () => (document.getElementById('picture-preview') as HTMLImageElement).naturalWidth === 1,
        );
        await expectNoAxeViolations(page, `the settings pane with a picture (${width})`);
        await page.close();
      });

      it('blocks and unblocks from the user card; a blocked person’s PM is refused like "nobody"', async () => {
        await api.post('/users/update', { token: bob.access_token, json: { first_name: 'Bob', last_name: 'Builder' } });
        const page = await logIn(alice, viewport);
        await page.fill('#search', bob.username);
        await page.click(`[aria-label="Profile of ${bob.username}"]`);
        await page.locator('#user-card[open]').waitFor(WAIT);
        await page.locator('#card-name', { hasText: 'Bob Builder' }).waitFor(WAIT);
        expect(await page.textContent('#card-block')).to.equal('Block');
        await expectNoAxeViolations(page, `the user card (${width})`);

        await page.click('#card-block');
        await page.locator('#card-block', { hasText: 'Unblock' }).waitFor(WAIT);
        expect((await api.get('/users/blocks', { token: alice.access_token })).body.users).to.deep.equal([
          bob.username,
        ]);
        await page.screenshot({ path: path.join(ARTIFACTS, `user-card-blocked-${width}.png`) });
        await expectNoAxeViolations(page, `the user card, blocked (${width})`);

        // Bob's PM is refused with the same answer as the "nobody" policy; so is his page's /pm.
        const refused = await pm(bob, alice, 'while blocked');
        expectStatusOf(refused, 403);
        expect(refused.body.error.code).to.equal('pm_not_accepted');
        const bobPage = await logIn(bob, viewport);
        await bobPage.fill('#input', `/pm ${alice.username} are you there?`);
        await bobPage.press('#input', 'Enter');
        await bobPage.locator('.error-toast', { hasText: 'does not accept private messages' }).waitFor(WAIT);
        await bobPage.close();

        // The settings pane lists the block; from there the card unblocks.
        await page.press('#card-block', 'Escape');
        await page.locator('#user-card').waitFor({ state: 'hidden', ...WAIT });
        await page.click('#open-settings');
        const listed = page.locator('#blocked-list button', { hasText: bob.username });
        await listed.waitFor(WAIT);
        await listed.click();
        await page.locator('#card-block', { hasText: 'Unblock' }).waitFor(WAIT);
        await page.click('#card-block');
        await page.locator('#card-block', { hasText: /^Block$/ }).waitFor(WAIT);
        expect((await api.get('/users/blocks', { token: alice.access_token })).body.users).to.deep.equal([]);
        expectStatusOf(await pm(bob, alice, 'after unblocking'), 201);
        await page.locator('.msg-pm.msg-in', { hasText: 'after unblocking' }).waitFor(WAIT);

        // "Write privately" starts a PM line to them.
        await page.click('#card-write');
        expect(await page.inputValue('#input')).to.equal(`/pm ${bob.username} `);
        await page.close();
      });
    });
  }
});

function expectStatusOf(reply: { status: number; body: unknown }, status: number): void {
  expect(reply.status, JSON.stringify(reply.body)).to.equal(status);
}
