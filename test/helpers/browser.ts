import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots the browser tests leave for a person to look at. */
export const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts');

export interface BrowserFixture {
  readonly context: BrowserContext;
}

/**
 * A headless Chromium on a throwaway profile, launched before the enclosing describe's tests and closed after.
 * Without Chromium installed the describe is skipped (with a note), not failed. Call it before the describe's
 * other `before` hooks: a skip here then skips theirs too.
 */
export function useChromium(): BrowserFixture {
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.warn(`    skipped: ${CHROMIUM} is not installed (apt-get install -y chromium)`);
      this.skip();
    }
    profile = mkdtempSync(path.join(tmpdir(), 'parley-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });
  return {
    get context() {
      return context!;
    },
  };
}

export interface LoggedInPage {
  /** Where the page is served from. */
  url: string;
  viewport?: { width: number; height: number };
  /** Console errors and page errors are recorded here, under the user's name. */
  problems: string[];
  /** Console errors that are expected (say, an API error status the page is shown on purpose). */
  ignore?: RegExp;
}

/** Opens /messenger/ in a new page, logs `user` in through the form and waits until the chat is online. */
export async function openLoggedIn(
  context: BrowserContext,
  user: { username: string; password: string },
  { url, viewport, problems, ignore }: LoggedInPage,
): Promise<Page> {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  page.on('console', (m) => {
    if (m.type() === 'error' && !ignore?.test(m.text())) problems.push(`${user.username}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${user.username}: ${e.message}`));
  await page.goto(`${url}/messenger/`);
  await page.fill('#login-username', user.username);
  await page.fill('#login-password', user.password);
  await page.click('#login-submit');
  await page.locator('#status', { hasText: 'online' }).waitFor({ timeout: 10_000 });
  return page;
}
