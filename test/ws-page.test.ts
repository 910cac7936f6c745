import { expect } from 'chai';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { useServer } from './helpers/suite';

/**
 * A GET sent exactly as written: fetch would normalise away '..' segments, and adds
 * Cache-Control: no-cache to conditional requests.
 */
function rawGet(
  url: string,
  rawPath: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    http
      .get({ hostname, port, path: rawPath, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('chat page: GET /messenger/', () => {
  const fixture = useServer();

  it('serves the page with a strict Content-Security-Policy', async () => {
    const page = await fixture.api.get('/messenger/');
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    expect(page.body).to.equal(readFileSync(path.join(__dirname, '..', 'web', 'index.html'), 'utf8'));
    const csp = page.headers.get('content-security-policy')!;
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
    ]) {
      expect(csp).to.include(directive);
    }
    expect(csp).to.not.include('unsafe-inline');
    // Nothing inline for the CSP to block: no <script> bodies, no style attributes or elements.
    expect(page.body).to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.body).to.not.match(/\sstyle=|<style/);
    expect(page.body).to.not.match(/\son[a-z]+=/);
  });

  it('serves its script and stylesheet, with ETags', async () => {
    const script = await fixture.api.get('/messenger/app.js');
    expect(script.status).to.equal(200);
    expect(script.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
    const style = await fixture.api.get('/messenger/style.css');
    expect(style.headers.get('content-type')).to.equal('text/css; charset=utf-8');
    const again = await rawGet(fixture.server.url, '/messenger/app.js', {
      'If-None-Match': script.headers.get('etag')!,
    });
    expect(again.status).to.equal(304);
  });

  it('redirects /messenger to /messenger/', async () => {
    const res = await fetch(`${fixture.server.url}/messenger`, { redirect: 'manual' });
    expect(res.status).to.equal(301);
    expect(res.headers.get('location')).to.equal('/messenger/');
  });

  it('serves nothing outside web/ and no unknown names', async () => {
    for (const attempt of [
      '/messenger/../package.json',
      '/messenger/..%2fpackage.json',
      '/messenger/%2e%2e/package.json',
      '/messenger/nope.js',
      '/messenger/index.html/',
    ]) {
      const res = await rawGet(fixture.server.url, attempt);
      expect(res.status, attempt).to.equal(404);
      expect(JSON.parse(res.body).error.code, attempt).to.equal('not_found');
    }
  });

  it('answers a plain GET of the socket path with 426', async () => {
    const res = await fixture.api.get('/messenger/ws');
    expect(res.status).to.equal(426);
    expect(res.body.error.code).to.equal('upgrade_required');
  });

  it('leaves the messenger API as it was', async () => {
    const res = await fixture.api.get('/messenger/inbox');
    expect(res.status).to.equal(401);
  });
});
