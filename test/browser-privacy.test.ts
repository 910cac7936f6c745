import { expect } from 'chai';
import { readFileSync, rmSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { axeViolations } from './helpers/axe';
import { openLoggedIn, useChromium } from './helpers/browser';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { TEST_LIMITS } from './helpers/ws';

const WAIT = { timeout: 10_000 };
/** How Chromium logs a response with an error status: expected where the page is shown a wrong password. */
const HTTP_ERROR_LOG = /^Failed to load resource: the server responded with a status of 401/;

describe('browser: "Download my data" and "Delete my account" on the page', function () {
  this.timeout(60_000);
  const browser = useChromium();
  let server: TestServer;
  let dataDir: string;
  let api: Client;
  let alice: TestUser;
  const problems: string[] = [];

  before(async () => {
    dataDir = tempDataDir();
    server = await startTestServer({ ...TEST_LIMITS, DATA_DIR: dataDir }, { keepData: true });
    api = client(server.url);
    alice = await registerAndLogin(api);
    const bob = await registerAndLogin(api);
    await api.post('/messenger/messages', {
      token: alice.access_token,
      json: { to: bob.username, text: 'kept until erased' },
    });
  });
  after(async () => {
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const logIn = (user: TestUser): Promise<Page> =>
    openLoggedIn(browser.context, user, { url: server.url, problems, ignore: HTTP_ERROR_LOG });

  it('downloads the export as a file, then deletes the account only with the right password', async () => {
    const page = await logIn(alice);
    await page.click('#privacy summary');
    // This section's own accessibility (the rest of the chat view is the page tests' to check).
    const mine = (await axeViolations(page)).filter((v) =>
      v.nodes.some((n) => n.target.some((t) => /privacy|delete|download/.test(t))),
    );
    expect(mine.map((v) => `${v.id}: ${v.help}`)).to.deep.equal([]);

    const [download] = await Promise.all([page.waitForEvent('download', WAIT), page.click('#download-data')]);
    expect(download.suggestedFilename()).to.match(/^parley-.+\.json$/);
    const data = JSON.parse(readFileSync(await download.path(), 'utf8'));
    expect(data.profile.username).to.equal(alice.username);
    expect(data.private_messages.sent.map((m: { text: string }) => m.text)).to.deep.equal(['kept until erased']);
    await page.locator('#privacy-status', { hasText: 'Downloaded' }).waitFor(WAIT);

    await page.fill('#delete-password', 'not my password');
    await page.click('#delete-account button[type="submit"]');
    await page.locator('#privacy-status', { hasText: 'nothing was deleted' }).waitFor(WAIT);
    expect((await api.get(`/users/${alice.username}`)).status).to.equal(200);

    await page.fill('#delete-password', alice.password);
    await page.click('#delete-account button[type="submit"]');
    await page.locator('#login-error', { hasText: 'Your account has been deleted' }).waitFor(WAIT);
    expect(await page.locator('#chat-view').isHidden()).to.equal(true);
    expect((await api.get(`/users/${alice.username}`)).status).to.equal(404);
    expect(problems).to.deep.equal([]);
    await page.close();
  });
});
