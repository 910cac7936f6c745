import { expect } from 'chai';
import { loadConfig, ConfigError } from '../src/config';
import { expectError } from './helpers/assert';
import { registerAndLogin, type TestUser } from './helpers/http';
import { tempDataDir } from './helpers/server';
import { useServer } from './helpers/suite';

const LISTED = 'https://chat.example.com';
const ALSO_LISTED = 'http://localhost:3000';
const UNLISTED = 'https://evil.example';

const preflight = (url: string, origin: string) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization, content-type',
    },
  });

function expectNoCors(headers: Headers): void {
  for (const name of [
    'access-control-allow-origin',
    'access-control-allow-methods',
    'access-control-allow-headers',
    'access-control-allow-credentials',
  ]) {
    expect(headers.get(name), name).to.equal(null);
  }
}

describe('security: response headers and CORS', () => {
  describe('on every response', () => {
    const fixture = useServer();
    let alice: TestUser;
    before(async () => {
      alice = await registerAndLogin(fixture.api);
    });

    it('nosniff, no framing and a deny-all CSP, on successes, errors and 404s alike', async () => {
      const replies = [
        await fixture.api.get('/users?search=a'), // 200
        await fixture.api.get('/users/me', { token: alice.access_token }), // 200, authenticated
        await fixture.api.get('/no/such/path'), // 404
        await fixture.api.get('/users/nobody_here'), // 404 from a handler
        await fixture.api.request('PUT', '/users/me'), // 405
        await fixture.api.get('/users/me'), // 401
        await fixture.api.get('/users?search='), // 400
        await fixture.api.post('/auth/login', { body: 'x', headers: { 'content-type': 'text/plain' } }), // 415
        await fixture.api.post('/auth/login', {
          body: '{"a":"' + 'x'.repeat(70_000) + '"}',
          headers: { 'content-type': 'application/json' },
        }), // 413
        await fixture.api.request('HEAD', '/users?search=a'),
        await fixture.api.request('OPTIONS', '/users/me'),
      ];
      expect(replies.map((r) => r.status)).to.deep.equal([200, 200, 404, 404, 405, 401, 400, 415, 413, 200, 200]);
      for (const reply of replies) {
        expect(reply.headers.get('x-content-type-options'), `${reply.status}`).to.equal('nosniff');
        expect(reply.headers.get('x-frame-options')).to.equal('DENY');
        expect(reply.headers.get('content-security-policy')).to.equal("default-src 'none'; frame-ancestors 'none'");
      }
    });

    it('the chat page has a strict policy of its own: no inline script, no framing', async () => {
      const page = await fetch(`${fixture.server.url}/messenger/`);
      expect(page.status).to.equal(200);
      expect(page.headers.get('content-type')).to.match(/^text\/html/);
      expect(page.headers.get('x-content-type-options')).to.equal('nosniff');
      const csp = page.headers.get('content-security-policy') ?? '';
      const directives = new Map(
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .map(([name, ...values]) => [name, values]),
      );
      expect(directives.get('frame-ancestors')).to.deep.equal(["'none'"]);
      const scripts = directives.get('script-src') ?? directives.get('default-src');
      expect(scripts, 'script-src or default-src').to.be.an('array').that.is.not.empty;
      for (const loose of ["'unsafe-inline'", "'unsafe-eval'", '*', 'data:', 'http:', 'https:'])
        expect(scripts).to.not.include(loose);
      expect(directives.get('object-src') ?? directives.get('default-src')).to.not.include('*');
      // Every script the page has is a file (allowed by 'self'), none inline.
      const html = await page.text();
      const tags = html.match(/<script\b[^>]*>/gi) ?? [];
      expect(tags, 'the page loads its script').to.not.be.empty;
      for (const tag of tags) expect(tag).to.match(/\ssrc=/);
      expect(html).to.not.match(/\son[a-z]+\s*=/i); // no inline event handlers either
    });

    it('CORS is off by default: no CORS headers for any origin, preflight or not', async () => {
      const pre = await preflight(`${fixture.server.url}/auth/login`, LISTED);
      expectNoCors(pre.headers);
      const simple = await fetch(`${fixture.server.url}/users?search=a`, { headers: { Origin: LISTED } });
      expect(simple.status).to.equal(200);
      expectNoCors(simple.headers);
    });
  });

  describe('with CORS_ORIGINS', () => {
    const fixture = useServer({ CORS_ORIGINS: ` ${LISTED}, ${ALSO_LISTED} ` });

    it('answers a preflight from a listed origin with that origin, the methods and the Authorization header', async () => {
      for (const origin of [LISTED, ALSO_LISTED]) {
        const reply = await preflight(`${fixture.server.url}/auth/login`, origin);
        expect(reply.status).to.be.within(200, 204);
        expect(reply.headers.get('access-control-allow-origin')).to.equal(origin);
        expect(reply.headers.get('access-control-allow-methods')).to.include('POST');
        expect(reply.headers.get('access-control-allow-headers')?.toLowerCase()).to.include('authorization');
        expect(reply.headers.get('access-control-allow-credentials')).to.equal(null);
        expect(reply.headers.get('vary')).to.match(/origin/i);
        expect(reply.headers.get('x-content-type-options')).to.equal('nosniff');
      }
    });

    it('allows a listed origin to read responses, errors included', async () => {
      const ok = await fetch(`${fixture.server.url}/users?search=a`, { headers: { Origin: LISTED } });
      expect(ok.headers.get('access-control-allow-origin')).to.equal(LISTED);
      expect(ok.headers.get('access-control-expose-headers')?.toLowerCase()).to.include('retry-after');
      const error = await fetch(`${fixture.server.url}/users/me`, { headers: { Origin: LISTED } });
      expect(error.status).to.equal(401);
      expect(error.headers.get('access-control-allow-origin')).to.equal(LISTED);
    });

    it('gives an unlisted origin nothing (and no look-alike of a listed one passes)', async () => {
      for (const origin of [
        UNLISTED,
        'https://chat.example.com.evil.example',
        'http://chat.example.com',
        'null',
        `${LISTED}:443`,
      ]) {
        const pre = await preflight(`${fixture.server.url}/auth/login`, origin);
        expectNoCors(pre.headers);
        const simple = await fetch(`${fixture.server.url}/users?search=a`, { headers: { Origin: origin } });
        expectNoCors(simple.headers);
      }
    });

    it('the preflight does not run the endpoint', async () => {
      const reply = await preflight(`${fixture.server.url}/users/me`, LISTED);
      expect(reply.status).to.be.within(200, 204);
      expect(await reply.text()).to.equal('');
      expectError(await fixture.api.get('/users/me'), 401, 'not_authenticated');
    });
  });

  describe('CORS_ORIGINS is an allow-list of exact origins', () => {
    for (const bad of [
      '*',
      'chat.example.com',
      'https://chat.example.com/',
      'https://chat.example.com/app',
      'ftp://chat.example.com',
      'https://*.example.com',
    ]) {
      it(`refuses ${JSON.stringify(bad)}`, () => {
        expect(() => loadConfig({ DATA_DIR: tempDataDir(), CORS_ORIGINS: bad })).to.throw(ConfigError, /CORS_ORIGINS/);
      });
    }
  });
});
