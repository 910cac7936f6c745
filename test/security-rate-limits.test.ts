import { expect } from 'chai';
import { clientAddressKey } from '../src/http/rate-limits';
import { client, registerAndLogin, uniqueName, type Client, type Reply } from './helpers/http';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { useServer } from './helpers/suite';

const WRONG = 'not the password';

function expectRateLimited(reply: Reply, windowSeconds: number): void {
  expect(reply.status, JSON.stringify(reply.body)).to.equal(429);
  expect(reply.body.error.code).to.equal('rate_limited');
  expect(reply.body.error.message).to.be.a('string');
  const retryAfter = Number(reply.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).to.equal(true);
  expect(retryAfter).to.be.within(1, windowSeconds);
  expect(reply.body.error.details.retry_after).to.equal(retryAfter);
}

const login = (api: Client, username: string, password: string, headers: Record<string, string> = {}) =>
  api.post('/auth/login', { json: { username, password }, headers });

async function failLogins(
  api: Client,
  username: string,
  times: number,
  headers: Record<string, string> = {},
): Promise<void> {
  for (let i = 0; i < times; i++) {
    const reply = await login(api, username, WRONG, headers);
    expect(reply.status, `failed login ${i + 1}`).to.equal(401);
  }
}

describe('security: abuse limits', () => {
  describe('login, per account (10 failures in 5 minutes)', () => {
    const fixture = useServer({}, { rateLimits: true });

    it('answers 429 with Retry-After after 10 failures, even to the right password, counting look-alike spellings as one account', async () => {
      const alice = await registerAndLogin(fixture.api, uniqueName('alice'));
      // Upper case and full-width forms normalise to the same account key.
      const fullWidth = [...alice.username.toUpperCase()]
        .map((c) => (/[A-Z0-9]/.test(c) ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c))
        .join('');
      await failLogins(fixture.api, alice.username.toUpperCase(), 5);
      await failLogins(fixture.api, fullWidth, 5);
      expectRateLimited(await login(fixture.api, alice.username, WRONG), 300);
      expectRateLimited(await login(fixture.api, alice.username, alice.password), 300);
      // Other accounts from the same address are not affected.
      const bob = await registerAndLogin(fixture.api, uniqueName('bob'));
      expect((await login(fixture.api, bob.username, bob.password)).status).to.equal(200);
    });

    it('a successful login clears the account counter', async () => {
      const carol = await registerAndLogin(fixture.api, uniqueName('carol'));
      await failLogins(fixture.api, carol.username, 9);
      expect((await login(fixture.api, carol.username, carol.password)).status).to.equal(200);
      await failLogins(fixture.api, carol.username, 10);
      expectRateLimited(await login(fixture.api, carol.username, carol.password), 300);
    });

    it('counts failures for names nobody has, so a 429 does not reveal whether an account exists', async () => {
      const ghost = uniqueName('ghost');
      await failLogins(fixture.api, ghost, 10);
      expectRateLimited(await login(fixture.api, ghost, WRONG), 300);
    });
  });

  describe('login, per client address (50 failures in 5 minutes)', () => {
    const fixture = useServer({}, { rateLimits: true });

    it('answers 429 after 50 failures from one address, whatever X-Forwarded-For claims', async () => {
      const dave = await registerAndLogin(fixture.api, uniqueName('dave'));
      // Five failures on each of ten names: no account limit is reached, the address limit is.
      for (let n = 0; n < 10; n++) await failLogins(fixture.api, uniqueName('nobody'), 5);
      expectRateLimited(await login(fixture.api, dave.username, dave.password), 300);
      // Without TRUST_PROXY the header is not believed: it cannot buy a fresh counter.
      expectRateLimited(
        await login(fixture.api, dave.username, dave.password, { 'X-Forwarded-For': '203.0.113.7' }),
        300,
      );
    });
  });

  describe('behind a trusted proxy (TRUST_PROXY=1)', () => {
    const fixture = useServer({ TRUST_PROXY: '1', RATE_LIMIT_LOGIN_IP: '3' }, { rateLimits: true });

    it('counts per forwarded client address, taking the one the proxy appended', async () => {
      const erin = await registerAndLogin(fixture.api, uniqueName('erin'));
      // The client's own X-Forwarded-For entries come first; the proxy's entry (last) is the address.
      await failLogins(fixture.api, uniqueName('x'), 3, { 'X-Forwarded-For': '198.51.100.1, 203.0.113.10' });
      expectRateLimited(
        await login(fixture.api, erin.username, erin.password, { 'X-Forwarded-For': '198.51.100.2, 203.0.113.10' }),
        300,
      );
      expect(
        (await login(fixture.api, erin.username, erin.password, { 'X-Forwarded-For': '203.0.113.11' })).status,
      ).to.equal(200);
    });

    it('successful logins do not use up the address limit', async () => {
      const frank = await registerAndLogin(fixture.api, uniqueName('frank'));
      for (let i = 0; i < 6; i++) {
        expect(
          (await login(fixture.api, frank.username, frank.password, { 'X-Forwarded-For': '203.0.113.20' })).status,
        ).to.equal(200);
      }
    });
  });

  describe('registration and refresh, per client address', () => {
    const fixture = useServer({}, { rateLimits: true });

    it('allows 20 registrations an hour from one address, failed ones included', async () => {
      const taken = await registerAndLogin(fixture.api, uniqueName('taken'));
      const again = await fixture.api.post('/users/create', {
        json: { username: taken.username, email: 'other@example.test', password: 'long enough' },
      });
      expect(again.status).to.equal(409);
      for (let i = 0; i < 18; i++) {
        const name = uniqueName('reg');
        const reply = await fixture.api.post('/users/create', {
          json: { username: name, email: `${name}@example.test`, password: 'long enough' },
        });
        expect(reply.status, `registration ${i + 3}`).to.equal(201);
      }
      const name = uniqueName('reg');
      expectRateLimited(
        await fixture.api.post('/users/create', {
          json: { username: name, email: `${name}@example.test`, password: 'long enough' },
        }),
        3600,
      );
      // Refused before anything is stored.
      expect((await fixture.api.get(`/users/${name}`)).status).to.equal(404);
    });

    it('allows 60 refreshes in 5 minutes from one address, then refuses even a valid refresh token', async () => {
      const login = await fixture.api.post('/auth/login', {
        json: { username: (await firstUser(fixture.api)).username, password: 'long enough' },
      });
      expect(login.status).to.equal(200);
      let refreshToken: string = login.body.refresh_token;
      for (let i = 0; i < 30; i++) {
        const reply = await fixture.api.post('/auth/refresh', { json: { refresh_token: refreshToken } });
        expect(reply.status).to.equal(200);
        refreshToken = reply.body.refresh_token;
      }
      for (let i = 0; i < 30; i++) {
        expect(
          (await fixture.api.post('/auth/refresh', { json: { refresh_token: `junk.${i}.token` } })).status,
        ).to.equal(401);
      }
      expectRateLimited(await fixture.api.post('/auth/refresh', { json: { refresh_token: refreshToken } }), 300);
    });
  });

  describe('counters live in the engine', () => {
    let first: TestServer;
    let second: TestServer;
    before(async () => {
      const dataDir = tempDataDir();
      first = await startTestServer({ DATA_DIR: dataDir }, { keepData: true });
      second = await startTestServer({ DATA_DIR: dataDir });
    });
    after(async () => {
      await first.stop();
      await second.stop();
    });

    it('two instances on one database share the account limit', async () => {
      const grace = await registerAndLogin(client(first.url), uniqueName('grace'));
      await failLogins(client(first.url), grace.username, 5);
      await failLogins(client(second.url), grace.username, 5);
      expectRateLimited(await login(client(first.url), grace.username, grace.password), 300);
      expectRateLimited(await login(client(second.url), grace.username, grace.password), 300);
    });
  });

  describe('client address keys', () => {
    it('counts IPv4-mapped addresses as IPv4 and IPv6 addresses by their /64', () => {
      expect(clientAddressKey('::ffff:192.0.2.1')).to.equal('192.0.2.1');
      expect(clientAddressKey('192.0.2.1')).to.equal('192.0.2.1');
      expect(clientAddressKey('2001:db8:1:2:aaaa::1')).to.equal('2001:db8:1:2::/64');
      expect(clientAddressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).to.equal('2001:db8:1:2::/64');
      expect(clientAddressKey('2001:db8::1')).to.equal('2001:db8:0:0::/64');
      expect(clientAddressKey('::1')).to.equal('0:0:0:0::/64');
      expect(clientAddressKey('fe80::1%eth0')).to.equal('fe80:0:0:0::/64');
    });
  });
});

/** The first user of the registration test, whose password is known. */
async function firstUser(api: Client): Promise<{ username: string }> {
  const found = await api.get('/users?search=reg&limit=1');
  expect(found.status).to.equal(200);
  return found.body.users[0];
}
