import { expect } from 'chai';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, useChromium } from './helpers/browser';
import { client, registerAndLogin, uniqueName, type TestUser } from './helpers/http';
import { NO_RATE_LIMITS } from './helpers/suite';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { TEST_LIMITS } from './helpers/ws';

const WAIT = { timeout: 10_000 };
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** How Chromium logs a response with an error status: expected where the page is shown an API error on purpose. */
const HTTP_ERROR_LOG = /^Failed to load resource: the server responded with a status of 4\d\d/;

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('browser: two people chat through the page at /messenger/', function () {
  this.timeout(60_000);
  const browser = useChromium();
  let server: TestServer;
  let dataDir: string;
  let alice: TestUser;
  let bob: TestUser;
  /** Console errors and CSP violations: a strict CSP that blocks something shows up here. */
  const problems: string[] = [];

  before(async () => {
    dataDir = tempDataDir();
    server = await startTestServer({ ...TEST_LIMITS, DATA_DIR: dataDir }, { keepData: true });
    const api = client(server.url);
    alice = await registerAndLogin(api);
    bob = await registerAndLogin(api);
  });
  after(async () => {
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Opens the page, recording console errors and CSP violations under `who` (API error statuses too, unless expected). */
  async function openPage(
    who: string,
    viewport: { width: number; height: number },
    { httpErrorsExpected = false } = {},
  ): Promise<Page> {
    const page = await browser.context.newPage();
    await page.setViewportSize(viewport);
    page.on('console', (message) => {
      if (message.type() !== 'error' || (httpErrorsExpected && HTTP_ERROR_LOG.test(message.text()))) return;
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
    await page.click('#login-submit');
    // "online" means the WebSocket opened under connect-src 'self' and the history frame arrived.
    await page.locator('#status', { hasText: 'online' }).waitFor(WAIT);
    return page;
  }

  interface Registration {
    username: string;
    email: string;
    password: string;
    first_name?: string;
    last_name?: string;
  }

  async function fillRegistration(page: Page, form: Registration): Promise<void> {
    await page.fill('#register-username', form.username);
    await page.fill('#register-email', form.email);
    await page.fill('#register-password', form.password);
    await page.fill('#register-first-name', form.first_name ?? '');
    await page.fill('#register-last-name', form.last_name ?? '');
  }

  /** Submits the form and waits for the API's answer to it. */
  async function submitRegistration(page: Page): Promise<{ status: number; retryAfter: string | null }> {
    const answered = page.waitForResponse((res) => res.url().endsWith('/users/create'), WAIT);
    await page.click('#register-submit');
    const res = await answered;
    return { status: res.status(), retryAfter: await res.headerValue('retry-after') };
  }

  /** Runs `run` against a server of its own (rate limits as `env` says), on a fresh page, and stops both after. */
  async function onOwnServer(
    env: Record<string, string>,
    run: (url: string, page: Page) => Promise<void>,
  ): Promise<void> {
    const own = await startTestServer({ ...NO_RATE_LIMITS, ...env });
    const page = await browser.context.newPage();
    try {
      await page.setViewportSize(LAPTOP);
      await page.goto(`${own.url}/messenger/`);
      await run(own.url, page);
    } finally {
      await page.close();
      await own.stop();
    }
  }

  async function say(page: Page, line: string): Promise<void> {
    await page.fill('#input', line);
    await page.press('#input', 'Enter');
  }

  it('shows a private message and a chat line live, clearly apart, and errors to the person', async () => {
    // Bob got a private message while away: it is in his history when he logs in.
    await client(server.url).post('/messenger/messages', {
      token: alice.access_token,
      json: { to: bob.username, text: 'sent while you were away' },
    });

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
    const page = await browser.context.newPage();
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
    const session = JSON.parse(await page.evaluate(() => sessionStorage.getItem('parley.session') ?? '{}')) as {
      access_token: string;
    };
    const out = await client(server.url).post('/auth/logout', { token: session.access_token });
    expect(out.status).to.equal(204);
    await page.locator('#login-error', { hasText: 'session was ended' }).waitFor(WAIT);
    expect(await page.isVisible('#login-form')).to.equal(true);
  });

  it('renews the access token before it expires and hands it to the open socket', async () => {
    const page = await browser.context.newPage();
    // The page's clock is fake, so its refresh timer can be run forward without waiting.
    await page.clock.install();
    const sentTypes: string[] = [];
    const authenticated = new Promise<void>((resolve) => {
      page.on('websocket', (ws) => {
        ws.on('framesent', (frame) => {
          sentTypes.push(JSON.parse(String(frame.payload)).type);
        });
        ws.on('framereceived', (frame) => {
          if (JSON.parse(String(frame.payload)).type === 'authenticated') resolve();
        });
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

  it('lets a new person create an account on the page, lands them in the chat, and delivers their /pm', async () => {
    const carol = await registerAndLogin(client(server.url));
    const carolPage = await logIn(carol, PHONE);
    const newcomer = {
      username: uniqueName('newcomer'),
      password: 'a long enough secret',
      first_name: 'Nora',
      last_name: 'Newcomer',
    };

    const page = await openPage(newcomer.username, LAPTOP);
    await page.screenshot({ path: path.join(ARTIFACTS, 'entry-laptop.png') });
    await fillRegistration(page, { ...newcomer, email: `${newcomer.username}@example.test` });
    expect((await submitRegistration(page)).status).to.equal(201);
    await page.locator('#status', { hasText: 'online' }).waitFor(WAIT);
    expect(await page.textContent('#me')).to.equal(newcomer.username);
    expect(await page.isVisible('#register-form')).to.equal(false);

    await say(page, `/pm ${carol.username} hello from a new account`);
    const received = carolPage.locator('.msg-pm.msg-in', { hasText: 'hello from a new account' });
    await received.waitFor(WAIT);
    expect(await received.locator('.who').textContent()).to.equal(`${newcomer.username} → you`);

    // The account is a real one: its optional names were stored, and it logs in like any other.
    const profile = await client(server.url).get(`/users/${newcomer.username}`);
    expect(profile.status).to.equal(200);
    expect(profile.body).to.include({ username: newcomer.username, first_name: 'Nora', last_name: 'Newcomer' });
    const login = await client(server.url).post('/auth/login', {
      json: { username: newcomer.username, password: newcomer.password },
    });
    expect(login.status).to.equal(200);
    await page.screenshot({ path: path.join(ARTIFACTS, 'chat-after-register-laptop.png') });
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  it('shows what is wrong with a registration next to the field concerned', async () => {
    const page = await openPage('registration errors', PHONE, { httpErrorsExpected: true });
    let requests = 0;
    page.on('request', (req) => {
      if (req.url().endsWith('/users/create')) requests++;
    });

    // On a phone the form is below the login card; the link there takes the person to it.
    await page.click('#to-register');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('register-username');
    await page.screenshot({ path: path.join(ARTIFACTS, 'register-phone.png') });

    // Missing fields are pointed out without asking the server.
    await page.click('#register-submit');
    await page.locator('#register-username-error', { hasText: 'Choose a username' }).waitFor(WAIT);
    expect(await page.textContent('#register-email-error')).to.equal('Enter your email address.');
    expect(await page.textContent('#register-password-error')).to.equal('Choose a password.');
    expect(await page.getAttribute('#register-username', 'aria-invalid')).to.equal('true');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('register-username');
    expect(requests).to.equal(0);

    // 409 username_taken: under the username, and the field has the focus.
    const fresh = uniqueName('fresh');
    await fillRegistration(page, {
      username: alice.username,
      email: `${fresh}@example.test`,
      password: 'a long enough secret',
    });
    // Typing into a field takes its stale error away.
    expect(await page.isVisible('#register-email-error')).to.equal(false);
    expect(await submitRegistration(page)).to.deep.include({ status: 409 });
    await page.locator('#register-username-error', { hasText: 'This username is taken' }).waitFor(WAIT);
    expect(await page.getAttribute('#register-username', 'aria-invalid')).to.equal('true');
    expect(await page.getAttribute('#register-email', 'aria-invalid')).to.equal(null);
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('register-username');
    expect(await page.isVisible('#register-error')).to.equal(false);
    await page.screenshot({ path: path.join(ARTIFACTS, 'register-taken-phone.png'), fullPage: true });

    // 409 email_taken: under the email.
    await page.fill('#register-username', fresh);
    await page.fill('#register-email', `${alice.username}@example.test`);
    expect(await submitRegistration(page)).to.deep.include({ status: 409 });
    await page.locator('#register-email-error', { hasText: 'An account with this email already exists' }).waitFor(WAIT);
    expect(await page.isVisible('#register-username-error')).to.equal(false);

    // 422 validation_failed: each field's own message from the details, under that field.
    await fillRegistration(page, {
      username: 'admin',
      email: `${fresh}@example.test`,
      password: 'a long enough secret',
      first_name: 'Nora\u0007',
    });
    expect(await submitRegistration(page)).to.deep.include({ status: 422 });
    await page.locator('#register-username-error', { hasText: "Username 'admin' is reserved." }).waitFor(WAIT);
    // The server's message names the field as the API does; the page says it with the field's label.
    expect(await page.textContent('#register-first_name-error')).to.equal(
      'First name must not contain control characters.',
    );
    expect(await page.isVisible('#register-email-error')).to.equal(false);
    await page.screenshot({ path: path.join(ARTIFACTS, 'register-invalid-phone.png'), fullPage: true });
    expect(requests).to.equal(3);
    expect(await page.isVisible('#login-form')).to.equal(true);
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  it('says how long to wait when there were too many registrations from the address', async () => {
    // One registration per address and hour, and this address has had it.
    await onOwnServer({ RATE_LIMIT_REGISTER_IP: '1' }, async (url, page) => {
      await registerAndLogin(client(url));
      const name = uniqueName('late');
      await fillRegistration(page, { username: name, email: `${name}@example.test`, password: 'a long enough secret' });
      const answered = page.waitForResponse((res) => res.url().endsWith('/users/create'), WAIT);
      await page.click('#register-submit');
      const res = await answered;
      expect(res.status()).to.equal(429);
      const retryAfter = Number(await res.headerValue('retry-after'));
      expect(retryAfter).to.be.within(3540, 3600); // the hour's window, less the moments since the first registration
      await page
        .locator('#register-error', { hasText: 'Too many sign-ups from your network. Try again in 1 hour.' })
        .waitFor(WAIT);
      // Trying again sooner would only count against the limit: the button waits as well.
      expect(await page.isDisabled('#register-submit')).to.equal(true);
      expect(await page.locator('.field-error:visible').count()).to.equal(0);
      await page.screenshot({ path: path.join(ARTIFACTS, 'register-rate-limited-laptop.png') });
    });
  });

  it('says so when the account was created but logging in with it was refused, and hands over to the login form', async () => {
    // One failed login per address, and this address has had it: the login after registering is refused.
    await onOwnServer({ RATE_LIMIT_LOGIN_IP: '1' }, async (url, page) => {
      expect(
        (await client(url).post('/auth/login', { json: { username: 'somebody', password: 'wrong password' } })).status,
      ).to.equal(401);
      const name = uniqueName('unlucky');
      await fillRegistration(page, { username: name, email: `${name}@example.test`, password: 'a long enough secret' });
      const loginRefused = page.waitForResponse((res) => res.url().endsWith('/auth/login'), WAIT);
      expect((await submitRegistration(page)).status).to.equal(201);
      expect((await loginRefused).status()).to.equal(429);
      await page
        .locator('#login-error', {
          hasText: `Your account ${name} was created, but logging in failed: Too many requests from your address`,
        })
        .waitFor(WAIT);
      expect(await page.inputValue('#login-username')).to.equal(name);
      expect(await page.evaluate(() => document.activeElement?.id)).to.equal('login-password');
      expect(await page.inputValue('#register-username')).to.equal('');
      expect(await page.isVisible('#chat-view')).to.equal(false);
      expect((await client(url).get(`/users/${name}`)).status).to.equal(200);
      await page.screenshot({ path: path.join(ARTIFACTS, 'register-login-refused-laptop.png') });
    });
  });

  it('logs out from the page: back to the login form, and the session is ended on the server', async () => {
    const page = await logIn(bob, PHONE);
    const session = JSON.parse(await page.evaluate(() => sessionStorage.getItem('parley.session') ?? '{}')) as {
      access_token: string;
    };
    expect((await client(server.url).get('/users/me', { token: session.access_token })).status).to.equal(200);
    await page.screenshot({ path: path.join(ARTIFACTS, 'chat-phone-logout-button.png') });
    const loggedOut = page.waitForResponse((res) => res.url().endsWith('/auth/logout'), WAIT);
    await page.click('#logout');
    expect((await loggedOut).status()).to.equal(204);
    expect(await page.isVisible('#login-form')).to.equal(true);
    expect(await page.isVisible('#chat-view')).to.equal(false);
    expect(await page.isVisible('#login-error')).to.equal(false);
    expect(await page.evaluate(() => sessionStorage.getItem('parley.session'))).to.equal(null);
    // The token the page held no longer works, and a reload stays logged out.
    expect((await client(server.url).get('/users/me', { token: session.access_token })).status).to.equal(401);
    await page.reload();
    expect(await page.isVisible('#login-form')).to.equal(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'entry-phone.png'), fullPage: true });
  });
});
