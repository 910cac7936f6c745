import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

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
