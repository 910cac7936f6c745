import { expect } from 'chai';
import path from 'node:path';
import { ARTIFACTS, useChromium } from './helpers/browser';
import { registerAndLogin } from './helpers/http';
import { useServer } from './helpers/suite';

const WAIT = { timeout: 15_000 };

describe('docs: GET /docs serves Swagger UI from the installed package', () => {
  const fixture = useServer();

  it('is a page with no inline script, under a strict Content-Security-Policy', async () => {
    const page = await fixture.api.get('/docs');
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).to.include("script-src 'self'").and.include("default-src 'none'").and.include("connect-src 'self'");
    expect(csp).not.to.match(/script-src[^;]*'unsafe-inline'/);
    expect(csp).not.to.include('unsafe-eval');
    const scripts = [...(page.body as string).matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).to.have.length(2);
    for (const [, attributes, content] of scripts) {
      expect(attributes).to.match(/ src="\/docs\/[\w.-]+\.js"/);
      expect(content.trim()).to.equal('');
    }
    expect(page.body).not.to.match(/https?:\/\//);
  });

  it('serves every script, style and icon the page names, from the same origin', async () => {
    const page = (await fixture.api.get('/docs')).body as string;
    const assets = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets).to.include.members(['/docs/swagger-ui-bundle.js', '/docs/init.js', '/docs/swagger-ui.css']);
    for (const asset of assets) {
      const reply = await fetch(fixture.server.url + asset);
      expect(reply.status, asset).to.equal(200);
      expect(reply.headers.get('content-type'), asset).to.match(
        asset.endsWith('.js') ? /^text\/javascript/ : asset.endsWith('.css') ? /^text\/css/ : /^image\/png/,
      );
      expect((await reply.arrayBuffer()).byteLength, asset).to.be.above(100);
    }
    const init = await fixture.api.get('/docs/init.js');
    expect(init.body).to.include("url: '/openapi.json'");
  });

  it('lets browsers revalidate the assets by ETag', async () => {
    const first = await fetch(`${fixture.server.url}/docs/swagger-ui.css`);
    await first.arrayBuffer();
    const etag = first.headers.get('etag')!;
    expect(etag).to.be.a('string');
    expect(first.headers.get('cache-control')).to.equal('no-cache');
    const again = await fetch(`${fixture.server.url}/docs/swagger-ui.css`, {
      headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' },
    });
    expect(again.status).to.equal(304);
  });

  it('serves nothing else from node_modules', async () => {
    for (const p of [
      '/docs/index.html',
      '/docs/package.json',
      '/docs/swagger-ui.js.map',
      '/docs/..%2Fpackage.json',
      '/docs/%2e%2e/%2e%2e/package.json',
      '/docs/swagger-initializer.js',
    ]) {
      const reply = await fixture.api.get(p);
      expect(reply.status, p).to.equal(404);
      expect(reply.body.error.code, p).to.equal('not_found');
    }
    const post = await fixture.api.post('/docs/init.js', { json: {} });
    expect(post.status).to.equal(404);
  });
});

describe('browser: the API docs at /docs', function () {
  this.timeout(60_000);
  const browser = useChromium();
  const docs = useServer();
  const problems: string[] = [];
  const outside: string[] = [];

  it('renders every operation, logs in with the Authorize dialog and tries an endpoint against this server', async () => {
    const user = await registerAndLogin(docs.api);
    const doc = (await docs.api.get('/openapi.json')).body;
    const operationCount = Object.values(doc.paths as Record<string, object>).reduce(
      (n, item) => n + Object.keys(item).length,
      0,
    );

    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 1800 });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith(docs.server.url) && !request.url().startsWith('data:')) outside.push(request.url());
    });

    await page.goto(`${docs.server.url}/docs`);
    await page.waitForSelector('#operations-users-getMe', WAIT);
    expect(await page.locator('.opblock').count()).to.equal(operationCount);
    expect(await page.locator('.swagger-ui .info .title').textContent()).to.match(/^parley/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'docs.png') });

    // The OAuth2 password flow posts the form to /auth/login and keeps the access token.
    await page.click('.auth-wrapper button.authorize');
    const login = page.locator('.modal-ux .auth-container').filter({ hasText: 'passwordLogin' });
    await login.locator('#oauth_username').fill(user.username);
    await login.locator('#oauth_password').fill(user.password);
    await login.locator('button.authorize').click();
    await login.locator('h6', { hasText: 'Authorized' }).waitFor(WAIT);
    await page.click('.modal-ux button.close-modal');

    const me = page.locator('#operations-users-getMe');
    await me.locator('.opblock-summary').click();
    await me.locator('button.try-out__btn').click();
    await me.locator('button.execute').click();
    const live = me.locator('.live-responses-table .response');
    await live.waitFor(WAIT);
    expect((await live.locator('.response-col_status').textContent())?.trim()).to.equal('200');
    expect(await live.locator('.response-col_description .microlight').first().textContent()).to.include(
      `"username": "${user.username}"`,
    );
    await me.screenshot({ path: path.join(ARTIFACTS, 'docs-try-it-out.png') });

    expect(problems, 'console errors or CSP violations').to.deep.equal([]);
    expect(outside, 'requests to other origins').to.deep.equal([]);
  });
});
