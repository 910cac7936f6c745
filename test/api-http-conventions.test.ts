import { expect } from 'chai';
import http from 'node:http';
import { expectError, expectStatus } from './helpers/assert';
import { registerAndLogin, uniqueName, type Reply, type TestUser } from './helpers/http';
import { fileForm, png } from './helpers/images';
import { useServer } from './helpers/suite';

/** A raw request, for header combinations fetch will not send (no Content-Type, chunked with nothing in it). */
function raw(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  chunks: string[] = [],
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, url), { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          headers: new Headers(res.headers as Record<string, string>),
          body: text ? JSON.parse(text) : text,
        }),
      );
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

function expectNoStore(reply: Reply): void {
  expect(reply.headers.get('cache-control'), 'Cache-Control').to.equal('no-store');
  expect(reply.headers.get('pragma'), 'Pragma').to.equal('no-cache');
}

describe('HTTP conventions: OAuth2 forms, caching of tokens and personal data, bodies', () => {
  const fixture = useServer();
  let alice: TestUser;

  before(async () => {
    alice = await registerAndLogin(fixture.api);
  });

  describe('OAuth2', () => {
    it('logs in with the password form, grant_type=password included, with no-store on the tokens', async () => {
      const reply = await fixture.api.post('/auth/login', {
        form: { grant_type: 'password', username: alice.username, password: alice.password },
      });
      expectStatus(reply, 200);
      expect(reply.body).to.include.keys('access_token', 'refresh_token');
      expectNoStore(reply);
    });

    it('refuses another grant_type in the login form', async () => {
      const reply = await fixture.api.post('/auth/login', {
        form: { grant_type: 'client_credentials', username: alice.username, password: alice.password },
      });
      expectError(reply, 400, 'invalid_request');
    });

    it('refreshes with the standard form request, and the new refresh token works as JSON', async () => {
      const login = await fixture.api.post('/auth/login', {
        json: { username: alice.username, password: alice.password },
      });
      const form = await fixture.api.post('/auth/refresh', {
        form: { grant_type: 'refresh_token', refresh_token: login.body.refresh_token },
      });
      expectStatus(form, 200);
      expectNoStore(form);
      const json = await fixture.api.post('/auth/refresh', { json: { refresh_token: form.body.refresh_token } });
      expectStatus(json, 200);
      expectNoStore(json);
      const me = await fixture.api.get('/users/me', { token: json.body.access_token });
      expectStatus(me, 200);
    });

    it('a refresh form with a spent token ends the session, as the JSON one does', async () => {
      const login = await fixture.api.post('/auth/login', {
        json: { username: alice.username, password: alice.password },
      });
      const first = await fixture.api.post('/auth/refresh', {
        form: { grant_type: 'refresh_token', refresh_token: login.body.refresh_token },
      });
      expectStatus(first, 200);
      const again = await fixture.api.post('/auth/refresh', {
        form: { grant_type: 'refresh_token', refresh_token: login.body.refresh_token },
      });
      expectError(again, 401, 'refresh_token_reused');
      expectNoStore(again);
      expectError(await fixture.api.get('/users/me', { token: first.body.access_token }), 401, 'session_invalid');
    });

    it('refuses a refresh form with another grant_type or without the token', async () => {
      expectError(
        await fixture.api.post('/auth/refresh', { form: { grant_type: 'password', refresh_token: 'x' } }),
        400,
        'invalid_request',
      );
      expectError(
        await fixture.api.post('/auth/refresh', { form: { grant_type: 'refresh_token' } }),
        400,
        'invalid_request',
      );
    });
  });

  it('answers with your own account under no-store: /users/me, /users/update, /users/create', async () => {
    expectNoStore(await fixture.api.get('/users/me', { token: alice.access_token }));
    expectNoStore(
      await fixture.api.post('/users/update', { token: alice.access_token, json: { first_name: 'Alice' } }),
    );
    const name = uniqueName();
    const created = await fixture.api.post('/users/create', {
      json: { username: name, email: `${name}@example.test`, password: 'correct horse' },
    });
    expectStatus(created, 201);
    expectNoStore(created);
  });

  it('public answers stay cacheable: a public profile has no no-store', async () => {
    const reply = await fixture.api.get(`/users/${alice.username}`);
    expectStatus(reply, 200);
    expect(reply.headers.get('cache-control')).to.equal(null);
  });

  describe('a request without a body', () => {
    const cases: [string, Record<string, string>, string[]][] = [
      ['no Content-Type, no length', {}, []],
      ['Content-Length: 0', { 'Content-Length': '0' }, []],
      ['Content-Length: 0 with application/json', { 'Content-Length': '0', 'Content-Type': 'application/json' }, []],
      ['Content-Length: 0 with text/plain', { 'Content-Length': '0', 'Content-Type': 'text/plain' }, []],
      ['empty chunked body, no Content-Type', { 'Transfer-Encoding': 'chunked' }, []],
      ['empty chunked body with text/plain', { 'Transfer-Encoding': 'chunked', 'Content-Type': 'text/plain' }, []],
      [
        'empty chunked body with application/json',
        { 'Transfer-Encoding': 'chunked', 'Content-Type': 'application/json' },
        [],
      ],
    ];

    it('to POST /users/update changes nothing and answers 200 with the profile, whatever the headers', async () => {
      const before = await fixture.api.get('/users/me', { token: alice.access_token });
      for (const [what, headers, chunks] of cases) {
        const reply = await raw(
          fixture.server.url,
          'POST',
          '/users/update',
          { Authorization: `Bearer ${alice.access_token}`, ...headers },
          chunks,
        );
        expect(reply.status, `${what}: ${JSON.stringify(reply.body)}`).to.equal(200);
        expect(reply.body, what).to.deep.equal(before.body);
      }
    });

    it('to an endpoint that needs fields answers the same 400 whatever the headers', async () => {
      const answers = new Set<string>();
      for (const [what, headers, chunks] of cases) {
        const reply = await raw(fixture.server.url, 'POST', '/auth/login', headers, chunks);
        expectError(reply, 400, 'invalid_request');
        answers.add(`${reply.status} ${reply.body.error.message}`);
        expect(answers.size, what).to.equal(1);
      }
    });

    it('a body in a type the endpoint does not take is still a 415', async () => {
      const reply = await raw(
        fixture.server.url,
        'POST',
        '/users/update',
        {
          Authorization: `Bearer ${alice.access_token}`,
          'Content-Type': 'text/plain',
          'Transfer-Encoding': 'chunked',
        },
        ['first_name=x'],
      );
      expectError(reply, 415, 'unsupported_media_type');
    });
  });

  describe('picture forms', () => {
    const upload = (body: BodyInit) => fixture.api.patch('/users/add_picture', { token: alice.access_token, body });

    it('400 (not 413) for two files', async () => {
      const form = fileForm(png(), 'a.png', 'image/png');
      form.append('file', new Blob([png([0, 0, 255])], { type: 'image/png' }), 'b.png');
      expectError(await upload(form), 400, 'invalid_request');
    });

    it('400 for a field the form does not declare, next to a good file; nothing is stored', async () => {
      const form = fileForm(png(), 'a.png', 'image/png');
      form.append('caption', 'hello');
      const reply = await upload(form);
      expectError(reply, 400, 'invalid_request');
      expect(reply.body.error.details).to.deep.equal([{ path: '/', message: "unknown field 'caption'" }]);
      expectError(await fixture.api.get(`/users/${alice.username}/picture`), 404, 'picture_not_found');
    });

    it('the file alone is stored', async () => {
      expectStatus(await upload(fileForm(png(), 'a.png', 'image/png')), 200);
    });
  });
});
