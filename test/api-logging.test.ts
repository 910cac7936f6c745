import { rmSync } from 'node:fs';
import { expect } from 'chai';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/log';
import { startServer, type RunningServer } from '../src/server';
import { expectStatus } from './helpers/assert';
import { client, uniqueName, type Client } from './helpers/http';
import { LogCapture } from './helpers/log-capture';
import { TEST_SECRET, tempDataDir } from './helpers/server';
import { NO_RATE_LIMITS } from './helpers/suite';

describe('logging', () => {
  const logs = new LogCapture();
  const dataDir = tempDataDir();
  let server: RunningServer;
  let api: Client;
  /** Everything secret the tests send or receive: none of it may reach a log line. */
  const secrets = new Set<string>([TEST_SECRET]);

  before(async () => {
    const config = loadConfig({
      ...NO_RATE_LIMITS,
      PORT: '0',
      HOST: '127.0.0.1',
      SECRET_KEY: TEST_SECRET,
      DATA_DIR: dataDir,
    });
    server = await startServer(config, createLogger('trace', logs));
    api = client(`http://127.0.0.1:${server.port}`);
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('never logs a password, token or password hash, on success or failure', async () => {
    const username = uniqueName('logged');
    const password = 'Secret-Password-1';
    const newPassword = 'Other-Secret-Password-2';
    secrets.add(password).add(newPassword).add('Shrt5').add('Wrong-Password-3');

    expect(
      (
        await api.post('/users/create', {
          json: { username: uniqueName('x'), email: 'short@example.test', password: 'Shrt5' },
        })
      ).status,
    ).to.equal(422);
    expectStatus(
      await api.post('/users/create', { json: { username, email: `${username}@example.test`, password } }),
      201,
    );
    expect((await api.post('/auth/login', { json: { username, password: 'Wrong-Password-3' } })).status).to.equal(401);
    const form = await api.post('/auth/login', { form: { grant_type: 'password', username, password } });
    const json = await api.post('/auth/login', { json: { username, password } });
    expectStatus(form, 200);
    expectStatus(json, 200);
    const rotated = await api.post('/auth/refresh', { json: { refresh_token: form.body.refresh_token } });
    expectStatus(rotated, 200);
    expect((await api.post('/auth/refresh', { json: { refresh_token: form.body.refresh_token } })).status).to.equal(
      401,
    );
    expect(
      (
        await api.post('/users/update', {
          token: json.body.access_token,
          json: { current_password: 'Wrong-Password-3', new_password: newPassword },
        })
      ).status,
    ).to.equal(401);
    expectStatus(
      await api.post('/users/update', {
        token: json.body.access_token,
        json: { current_password: password, new_password: newPassword },
      }),
      200,
    );
    expect((await api.get('/users/me', { token: form.body.access_token })).status).to.equal(401);
    expect((await api.post('/auth/logout', { token: json.body.access_token })).status).to.equal(204);
    for (const pair of [form.body, json.body, rotated.body]) secrets.add(pair.access_token).add(pair.refresh_token);

    // The hashes as the log of events holds them.
    const events = await server.parley.engine.events.readAll(0, 1_000_000);
    const hashes = events.flatMap((e) =>
      e.type === 'UserRegistered' || e.type === 'PasswordChanged' ? [e.data.password_hash] : [],
    );
    expect(hashes).to.have.length(2);

    const text = logs.text;
    expect(logs.records().filter((r) => r.msg === 'request').length, 'one line per request').to.be.at.least(11);
    for (const secret of [...secrets, ...hashes]) {
      expect(text.includes(secret), `logged: ${secret.slice(0, 16)}…`).to.equal(false);
      const signature = secret.split('.')[2];
      if (signature) expect(text.includes(signature), 'a token signature was logged').to.equal(false);
    }
    expect(text).not.to.include('$argon2');
  });

  it('logs each request with a request id, taking a sane X-Request-Id from the client', async () => {
    const mine = await api.get('/users?search=a', { headers: { 'X-Request-Id': 'trace-me-123' } });
    expect(mine.headers.get('x-request-id')).to.equal('trace-me-123');
    const generated = await api.get('/users?search=a', { headers: { 'X-Request-Id': 'not sane: spaces & symbols' } });
    const id = generated.headers.get('x-request-id');
    expect(id).to.match(/^[0-9a-f-]{36}$/);

    const requests = logs.records().filter((r) => r.msg === 'request');
    expect(requests.find((r) => r.request_id === 'trace-me-123')).to.include({
      method: 'GET',
      path: '/users',
      status: 200,
    });
    expect(requests.find((r) => r.request_id === id)).to.include({ method: 'GET', path: '/users', status: 200 });
    for (const r of requests) expect(r.request_id).to.be.a('string').and.not.be.empty;
  });
});
