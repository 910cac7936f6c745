import { expect } from 'chai';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expectNoAxeViolations } from './helpers/axe';
import { ARTIFACTS, openLoggedIn, useChromium } from './helpers/browser';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { startTestServer, type TestServer } from './helpers/server';
import { TEST_LIMITS } from './helpers/ws';

const WAIT = { timeout: 10_000 };
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** The parts of the chat view this feature adds: axe checks them (the rest of the view is another test's). */
const EDIT_PARTS = ['.msg .actions', '.msg .edited', '.msg-deleted .text', '.edit-form'];

describe('browser: editing and deleting your own messages at /messenger/', function () {
  this.timeout(60_000);
  const browser = useChromium();
  let server: TestServer;
  let api: Client;
  let alice: TestUser;
  let bob: TestUser;
  const problems: string[] = [];
  const pages: Page[] = [];

  before(async () => {
    server = await startTestServer(TEST_LIMITS);
    api = client(server.url);
  });
  beforeEach(async () => {
    [alice, bob] = [await registerAndLogin(api), await registerAndLogin(api)];
  });
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((p) => p.close()));
    expect(problems.splice(0), 'console errors').to.deep.equal([]);
  });
  after(async () => {
    await server?.stop();
  });

  async function logIn(user: TestUser, viewport: { width: number; height: number }): Promise<Page> {
    const page = await openLoggedIn(browser.context, user, { url: server.url, viewport, problems });
    pages.push(page);
    return page;
  }

  async function say(page: Page, line: string): Promise<void> {
    await page.fill('#input', line);
    await page.press('#input', 'Enter');
  }

  for (const [name, viewport] of [
    ['laptop', LAPTOP],
    ['phone', PHONE],
  ] as const) {
    it(`edits a PM with Enter, cancels with Esc, and deletes it; the other person sees both live (${name})`, async () => {
      const alicePage = await logIn(alice, viewport);
      const bobPage = await logIn(bob, viewport);
      await say(alicePage, `/pm ${bob.username} see you at 5`);
      await alicePage.locator('.msg-pm.msg-out', { hasText: 'see you at 5' }).waitFor(WAIT);
      // By id from here on: the text changes.
      const id = await alicePage.locator('.msg-pm.msg-out', { hasText: 'see you at 5' }).getAttribute('data-id');
      const mine = alicePage.locator(`.msg[data-id="${id}"]`);
      const theirs = bobPage.locator(`.msg[data-id="${id}"]`);
      await theirs.waitFor(WAIT);
      // Only one's own messages can be changed.
      expect(await theirs.locator('.actions').count()).to.equal(0);
      // A background tab's animation frames are throttled, and clicks wait for them.
      await alicePage.bringToFront();

      // Esc cancels: nothing is sent, the text is back.
      await mine.getByRole('button', { name: 'Edit message' }).click();
      const editor = mine.locator('.edit-form input');
      await editor.fill('never mind');
      await alicePage.screenshot({ path: path.join(ARTIFACTS, `edit-${name}-editor.png`) });
      await expectNoAxeViolations(alicePage, `the message editor (${name})`, EDIT_PARTS);
      await editor.press('Escape');
      expect(await mine.locator('.edit-form').count()).to.equal(0);
      expect(await mine.locator('.text').textContent()).to.equal('see you at 5');

      // Enter saves.
      await mine.getByRole('button', { name: 'Edit message' }).click();
      await mine.locator('.edit-form input').fill('see you at 6');
      await mine.locator('.edit-form input').press('Enter');
      await theirs.locator('.edited', { hasText: '(edited)' }).waitFor(WAIT);
      expect(await theirs.locator('.text').textContent()).to.equal('see you at 6');
      await mine.locator('.edited').waitFor(WAIT);
      expect(await mine.locator('.text').textContent()).to.equal('see you at 6');
      expect(await alicePage.locator('.msg .text', { hasText: 'see you at 5' }).count()).to.equal(0);
      await expectNoAxeViolations(alicePage, `an edited message (${name})`, EDIT_PARTS);
      await alicePage.screenshot({ path: path.join(ARTIFACTS, `edit-${name}-edited.png`) });

      // Delete asks for a second click, then leaves a tombstone on both pages.
      await mine.getByRole('button', { name: 'Delete message' }).click();
      await mine.getByRole('button', { name: 'Confirm: delete this message' }).click();
      await bobPage.locator(`.msg-deleted[data-id="${id}"]`).waitFor(WAIT);
      expect(await theirs.locator('.text').textContent()).to.equal('message deleted');
      await alicePage.locator(`.msg-deleted[data-id="${id}"]`).waitFor(WAIT);
      expect(await mine.locator('.actions').count()).to.equal(0);
      expect(await bobPage.locator('.msg .text', { hasText: 'see you at 6' }).count()).to.equal(0);
      await expectNoAxeViolations(bobPage, `a deleted message (${name})`, EDIT_PARTS);
      await alicePage.screenshot({ path: path.join(ARTIFACTS, `edit-${name}-deleted.png`) });
    });
  }

  it('edits and deletes chat lines for everyone, in place; a refused edit is shown as an error', async () => {
    const alicePage = await logIn(alice, LAPTOP);
    const bobPage = await logIn(bob, PHONE);
    await say(alicePage, 'first line');
    await say(alicePage, 'second line');
    const first = alicePage.locator('.msg-chat', { hasText: 'first line' });
    const second = alicePage.locator('.msg-chat', { hasText: 'second line' });
    await first.waitFor(WAIT);
    await second.waitFor(WAIT);
    await alicePage.bringToFront();
    await first.getByRole('button', { name: 'Edit message' }).click();
    await first.locator('.edit-form input').fill('first line, better');
    await first.getByRole('button', { name: 'Save' }).click();
    await second.getByRole('button', { name: 'Delete message' }).click();
    await second.getByRole('button', { name: 'Confirm: delete this message' }).click();
    await bobPage.locator('.msg-chat .text', { hasText: 'first line, better' }).waitFor(WAIT);
    await bobPage.locator('.msg-chat.msg-deleted').waitFor(WAIT);
    // The order stays: the tombstone is where the line was.
    const texts = await bobPage.locator('.msg-chat .text').allTextContents();
    expect(texts.slice(-2)).to.deep.equal(['first line, better', 'message deleted']);

    // A refused edit reaches the person as an error.
    const edited = alicePage.locator('.msg-chat', { hasText: 'first line, better' });
    await edited.getByRole('button', { name: 'Edit message' }).click();
    await edited.locator('.edit-form input').fill('   ');
    await edited.locator('.edit-form input').press('Enter');
    await alicePage.locator('.error-toast', { hasText: 'message text is empty' }).waitFor(WAIT);
  });

  it('shows edits and tombstones in the history a PM recipient gets on logging in', async () => {
    const sent = (
      await api.post('/messenger/messages', { token: alice.access_token, json: { to: bob.username, text: 'draft' } })
    ).body;
    const gone = (
      await api.post('/messenger/messages', { token: alice.access_token, json: { to: bob.username, text: 'oops' } })
    ).body;
    expect(
      (await api.patch(`/messenger/messages/${sent.id}`, { token: alice.access_token, json: { text: 'final' } }))
        .status,
    ).to.equal(200);
    expect(
      (await api.request('DELETE', `/messenger/messages/${gone.id}`, { token: alice.access_token })).status,
    ).to.equal(204);
    const bobPage = await logIn(bob, PHONE);
    await bobPage.locator('.msg-pm.msg-history .edited').waitFor(WAIT);
    expect(await bobPage.locator('.msg-pm.msg-history .text').allTextContents()).to.deep.equal([
      'final',
      'message deleted',
    ]);
    await expectNoAxeViolations(bobPage, 'edited and deleted messages in the history', EDIT_PARTS);
  });
});
