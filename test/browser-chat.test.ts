import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { client, registerAndLogin, type TestUser } from './helpers/http';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { TEST_LIMITS } from './helpers/ws';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(__dirname, '..', 'test-artifacts');
const WAIT = { timeout: 10_000 };
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('browser: two people chat through the page at /messenger/', function () {
  this.timeout(60_000);
  let server: TestServer;
  let context: BrowserContext;
  let profile: string;
  let dataDir: string;
  let alice: TestUser;
  let bob: TestUser;
  /** Console errors and CSP violations: a strict CSP that blocks something shows up here. */
  const problems: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.warn(`    skipped: ${CHROMIUM} is not installed (apt-get install -y chromium)`);
      this.skip();
    }
    dataDir = tempDataDir();
    server = await startTestServer({ ...TEST_LIMITS, DATA_DIR: dataDir }, { keepData: true });
    const api = client(server.url);
    alice = await registerAndLogin(api);
    bob = await registerAndLogin(api);
    profile = mkdtempSync(path.join(tmpdir(), 'parley-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await context?.close();
    await server?.stop();
    for (const dir of [profile, dataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function logIn(user: TestUser, viewport: { width: number; height: number }): Promise<Page> {
    const page = await context.newPage();
    await page.setViewportSize(viewport);
    page.on('console', (message) => { if (message.type() === 'error') problems.push(`${user.username}: ${message.text()}`); });
    page.on('pageerror', (error) => problems.push(`${user.username}: ${error.message}`));
    await page.goto(`${server.url}/messenger/`);
    await page.fill('#login-username', user.username);
    await page.fill('#login-password', user.password);
    await page.click('#login-submit');
    // "online" means the WebSocket opened under connect-src 'self' and the history frame arrived.
    await page.locator('#status', { hasText: 'online' }).waitFor(WAIT);
    return page;
  }

  async function say(page: Page, line: string): Promise<void> {
    await page.fill('#input', line);
    await page.press('#input', 'Enter');
  }

  it('shows a private message and a chat line live, clearly apart, and errors to the person', async () => {
    // Bob got a private message while away: it is in his history when he logs in.
    await client(server.url).post('/messenger/messages', { token: alice.access_token, json: { to: bob.username, text: 'sent while you were away' } });

    const alicePage = await logIn(alice, LAPTOP);
    const bobPage = await logIn(bob, PHONE);
    await bobPage.locator('.msg-pm.msg-in.msg-history', { hasText: 'sent while you were away' }).waitFor(WAIT);

    await say(alicePage, `/pm ${bob.username} hello bob, just you`);
    await say(alicePage, 'hello everyone');

    const privateLine = bobPage.locator('.msg-pm.msg-in', { hasText: 'hello bob, just you' });
    await privateLine.waitFor(WAIT);
    expect(await privateLine.locator('.tag').textContent()).to.equal('private');
    expect(await privateLine.locator('.who').textContent()).to.equal(`${alice.username} → you`);
    const chatLine = bobPage.locator('.msg-chat', { hasText: 'hello everyone' });
    await chatLine.waitFor(WAIT);
    expect(await chatLine.locator('.tag').count()).to.equal(0);
    expect(await chatLine.locator('.who').textContent()).to.equal(alice.username);
    // Alice sees her own copies: the private one addressed to bob.
    await alicePage.locator('.msg-pm.msg-out', { hasText: 'hello bob, just you' }).waitFor(WAIT);

    // Bob finds alice with the search box, which starts a private message to her.
    await bobPage.fill('#search', alice.username.slice(0, -1));
    await bobPage.locator('.person', { hasText: alice.username }).first().waitFor(WAIT);
    await bobPage.screenshot({ path: path.join(ARTIFACTS, 'chat-phone-search.png') });
    await bobPage.locator('.person', { hasText: alice.username }).first().click(WAIT);
    expect(await bobPage.inputValue('#input')).to.equal(`/pm ${alice.username} `);
    await bobPage.type('#input', 'hi alice');
    await bobPage.press('#input', 'Enter');
    await alicePage.locator('.msg-pm.msg-in', { hasText: 'hi alice' }).waitFor(WAIT);

    // Errors from the server reach the person.
    await say(alicePage, '/pm nobody_here_at_all hello?');
    await alicePage.locator('.error-toast', { hasText: "there is no user 'nobody_here_at_all'" }).waitFor(WAIT);

    await alicePage.screenshot({ path: path.join(ARTIFACTS, 'chat-laptop.png') });
    await bobPage.screenshot({ path: path.join(ARTIFACTS, 'chat-phone.png') });
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  it('shows the login form tidily and a wrong password as an error', async () => {
    const page = await context.newPage();
    await page.setViewportSize(PHONE);
    await page.goto(`${server.url}/messenger/`);
    await page.fill('#login-username', alice.username);
    await page.fill('#login-password', 'not the password');
    await page.click('#login-submit');
    await page.locator('#login-error', { hasText: 'Incorrect username or password' }).waitFor(WAIT);
    await page.screenshot({ path: path.join(ARTIFACTS, 'login-phone.png') });
  });

  it('goes back to the login form when the session is logged out elsewhere', async () => {
    const page = await logIn(alice, LAPTOP);
    const session = JSON.parse(await page.evaluate(() => sessionStorage.getItem('parley.session') ?? '{}')) as { access_token: string };
    const out = await client(server.url).post('/auth/logout', { token: session.access_token });
    expect(out.status).to.equal(204);
    await page.locator('#login-error', { hasText: 'session was ended' }).waitFor(WAIT);
    expect(await page.isVisible('#login-form')).to.equal(true);
  });

  it('renews the access token before it expires and hands it to the open socket', async () => {
    const page = await context.newPage();
    // The page's clock is fake, so its refresh timer can be run forward without waiting.
    await page.clock.install();
    const sentTypes: string[] = [];
    const authenticated = new Promise<void>((resolve) => {
      page.on('websocket', (ws) => {
        ws.on('framesent', (frame) => { sentTypes.push(JSON.parse(String(frame.payload)).type); });
        ws.on('framereceived', (frame) => { if (JSON.parse(String(frame.payload)).type === 'authenticated') resolve(); });
      });
    });
    await page.setViewportSize(LAPTOP);
    await page.goto(`${server.url}/messenger/`);
    await page.fill('#login-username', alice.username);
    await page.fill('#login-password', alice.password);
    await page.click('#login-submit');
    await page.locator('#status', { hasText: 'online' }).waitFor(WAIT);

    const refreshed = page.waitForResponse((res) => res.url().endsWith('/auth/refresh'), WAIT);
    // Access tokens live 15 minutes; the page renews one a minute before that.
    await page.clock.fastForward('14:05');
    expect((await refreshed).status()).to.equal(200);
    await within(authenticated, WAIT.timeout, "the server's 'authenticated' frame");
    expect(sentTypes).to.include('auth');
    await page.close();
  });

  it('reconnects by itself when the server restarts, and carries on', async () => {
    const page = await logIn(bob, LAPTOP);
    const port = server.port;
    await server.stop();
    await page.locator('#status', { hasText: 'offline' }).waitFor(WAIT);
    // The same data and port: the page's session is still valid there.
    server = await startTestServer({ ...TEST_LIMITS, DATA_DIR: dataDir, PORT: String(port) }, { keepData: true });
    await page.locator('#status', { hasText: 'online' }).waitFor({ timeout: 20_000 });
    await say(page, 'back again');
    await page.locator('.msg-chat', { hasText: 'back again' }).waitFor(WAIT);
  });
});
