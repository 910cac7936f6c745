import http from 'node:http';
import { expect } from 'chai';
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { API_ROUTES } from '../src/http/app';
import { useFuzzTarget } from './helpers/fuzz';
import { client, type TestUser } from './helpers/http';
import { TEST_SECRET } from './helpers/server';

const RUNS = Number(process.env.FUZZ_RUNS) || 400;

interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request exactly as given (any method, any path bytes the HTTP grammar allows), via node:http. */
function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path, headers, agent: false, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

// --- the generators -----------------------------------------------------------------------------

const OTHER_PATHS = [
  '/',
  '/healthz',
  '/readyz',
  '/metrics',
  '/openapi.json',
  '/docs',
  '/messenger',
  '/messenger/',
  '/messenger/ws',
  '/messenger/app.js',
  '/users/',
  '/auth',
  '//users',
];
const TEMPLATES = [...new Set(API_ROUTES.map((r) => r.path)), ...OTHER_PATHS];

const urlChar = fc.constantFrom(..."abcXYZ019-._~!$&'()*+,;=:@/".split(''));
const junkSegment = fc.oneof(
  fc.string({ unit: urlChar, maxLength: 30 }),
  fc.constantFrom(
    '..',
    '.',
    '%2e%2e',
    '%00',
    '%ff',
    '%C0%AF',
    '%zz',
    '%',
    '%2F',
    '%E2%80%AE',
    'me',
    'alice',
    encodeURIComponent('ＡＬＩＣＥ'),
    '__proto__',
    'constructor',
    'a'.repeat(2000),
  ),
  fc.string({ maxLength: 20 }).map((s) => encodeURIComponent(s)),
);
const path = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...TEMPLATES), junkSegment)
      .map(([t, junk]) => t.replace(/\{\w+\}/g, () => junk || 'x')),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...TEMPLATES), junkSegment).map(([t, junk]) => `${t}/${junk}`) },
  { weight: 1, arbitrary: fc.array(junkSegment, { maxLength: 4 }).map((segments) => `/${segments.join('/')}`) },
);
const queryValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer().map(String),
  fc.constantFrom('', '-1', '0', '1e400', 'NaN', 'null', 'true', '[]', '{}'),
);
const query = fc
  .array(
    fc.tuple(
      fc.constantFrom(
        'search',
        'limit',
        'before',
        'token',
        'username',
        '__proto__[x]',
        'constructor[prototype][x]',
        'search[$gt]',
        'limit[]',
        'x',
      ),
      queryValue,
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` : ''));

const fieldNames = [
  ...new Set(
    API_ROUTES.flatMap((r) =>
      Object.values(r.body ?? {}).flatMap((s) => Object.keys((s as { properties?: object }).properties ?? {})),
    ),
  ),
];
const fieldValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom({ $gt: '' }, { $ne: null }, [], {}, 'a'.repeat(5000), '/pm alice hi', '/pm', 'everyone', 'nobody'),
);
/** Objects with the API's own field names (so validation passes now and then and handlers run), or anything at all. */
const jsonBody = fc.oneof(
  fc
    .dictionary(fc.constantFrom(...fieldNames, '__proto__', 'constructor', 'extra'), fieldValue, { maxKeys: 6 })
    .map((o) => JSON.stringify(o)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
);
const body = fc.oneof(
  { weight: 4, arbitrary: jsonBody.map((s) => Buffer.from(s)) },
  {
    weight: 1,
    arbitrary: fc
      .dictionary(fc.constantFrom(...fieldNames, '__proto__[x]', 'username[$gt]'), fc.string({ maxLength: 20 }), {
        maxKeys: 5,
      })
      .map((o) => Buffer.from(new URLSearchParams(o).toString())),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'multipart/form-data',
  'text/plain',
  'application/xml',
  'a/b/c',
  ';;;',
  '',
  'image/png',
);
const method = fc.constantFrom('GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND', 'FOO');

type TokenKind = 'none' | 'valid' | 'refresh' | 'junk' | 'alg-none' | 'hs512' | 'expired' | 'empty-bearer' | 'basic';
const tokenKind = fc.constantFrom<TokenKind>(
  'none',
  'valid',
  'valid',
  'refresh',
  'junk',
  'alg-none',
  'hs512',
  'expired',
  'empty-bearer',
  'basic',
);

// ------------------------------------------------------------------------------------------------

describe('fuzz: random requests at every endpoint', function () {
  this.timeout(120_000);
  const target = useFuzzTarget();
  /** Alice's current tokens: a fuzzed logout can end her session, and the test then logs her in again. */
  let alice: TestUser;
  before(() => {
    alice = target.alice;
  });

  function authorization(kind: TokenKind): Record<string, string> {
    const claims = { typ: 'access', sub: alice.user_id, sid: 'x', username: 'alice' };
    switch (kind) {
      case 'none':
        return {};
      case 'valid':
        return { authorization: `Bearer ${alice.access_token}` };
      case 'refresh':
        return { authorization: `Bearer ${alice.refresh_token}` };
      case 'junk':
        return { authorization: 'Bearer a.b.c' };
      case 'alg-none':
        return {
          authorization: `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`,
        };
      case 'hs512':
        return { authorization: `Bearer ${jwt.sign(claims, TEST_SECRET, { algorithm: 'HS512' })}` };
      case 'expired':
        return { authorization: `Bearer ${jwt.sign({ ...claims, exp: 1 }, TEST_SECRET, { algorithm: 'HS256' })}` };
      case 'empty-bearer':
        return { authorization: 'Bearer ' };
      case 'basic':
        return { authorization: 'Basic YWxpY2U6cGFzc3dvcmQ=' };
    }
  }

  it(`never answers 5xx, always with the error shape and nosniff (${RUNS} runs)`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(method, path, query, body, contentType, tokenKind, async (m, p, q, b, type, token) => {
        const headers: Record<string, string> = { ...authorization(token) };
        if (type) headers['content-type'] = type;
        const reply = await raw(target.server.port, m, p + q, headers, m === 'GET' || m === 'HEAD' ? undefined : b);
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        expect(reply.status, `${m} ${p + q} → ${reply.status} ${reply.body.slice(0, 300)}`).to.be.within(100, 499);
        expect(reply.headers['x-content-type-options']).to.equal('nosniff');
        if (reply.status >= 400 && m !== 'HEAD') {
          const parsed = JSON.parse(reply.body);
          expect(parsed.error.code).to.be.a('string');
          expect(parsed.error.message).to.be.a('string');
        }
        // A random logout may end alice's session: start a new one so later runs still get past authentication.
        if (p === '/auth/logout' && reply.status === 204) alice = { ...alice, ...(await registerAgain()) };
      }),
      { numRuns: RUNS },
    );
    // The runs reached past validation into the handlers, not only into 4xx.
    const succeeded = [...statuses].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
    expect(succeeded, JSON.stringify([...statuses])).to.be.greaterThan(5);
    expect(target.errors.lines, 'server error log').to.deep.equal([]);
    expect(target.crashes).to.deep.equal([]);
  });

  async function registerAgain(): Promise<{ access_token: string; refresh_token: string }> {
    const reply = await client(target.server.url).post('/auth/login', {
      json: { username: 'alice', password: alice.password },
    });
    return reply.body;
  }

  it('the server is still up and answering afterwards', async () => {
    const api = client(target.server.url);
    const search = await api.get('/users?search=a');
    expect(search.status).to.equal(200);
    expect(search.body.users.map((u: { username: string }) => u.username)).to.include('alice');
    const sent = await api.post('/messenger/messages', {
      token: target.bob.access_token,
      json: { to: 'alice', text: 'still here' },
    });
    expect(sent.status).to.equal(201);
  });
});
