import { connect } from 'node:net';
import { expect } from 'chai';
import { expectError, expectStatus } from './helpers/assert';
import { registerAndLogin, uniqueName, type TestUser } from './helpers/http';
import { fileForm, png } from './helpers/images';
import { useServer } from './helpers/suite';
import { toFullWidth } from './helpers/text';

const KIB = 1024;
const MIB = 1024 * KIB;

/** A JSON login body of exactly `bytes` bytes (the password pads it). */
function loginBodyOfSize(bytes: number): string {
  const skeleton = JSON.stringify({ username: 'someone', password: '' });
  return JSON.stringify({ username: 'someone', password: 'x'.repeat(bytes - skeleton.length) });
}

/** A stream of chunks, so the request goes without a Content-Length (chunked). */
function chunked(text: string): { body: ReadableStream<Uint8Array>; duplex: 'half' } {
  const bytes = new TextEncoder().encode(text);
  return {
    duplex: 'half',
    body: new ReadableStream({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 8 * KIB) controller.enqueue(bytes.slice(i, i + 8 * KIB));
        controller.close();
      },
    }),
  };
}

/** A PNG padded (after IEND, where decoders ignore it) to exactly `size` bytes. */
const pngOfSize = (size: number): Buffer => {
  const image = png();
  return Buffer.concat([image, Buffer.alloc(size - image.length)]);
};

describe('security: hostile input', () => {
  const fixture = useServer();
  let alice: TestUser;
  before(async () => {
    alice = await registerAndLogin(fixture.api, uniqueName('alice'));
  });

  describe('body limits', () => {
    it('takes a JSON body of exactly 64 KiB to validation, and answers 413 one byte over', async () => {
      const atLimit = await fixture.api.post('/auth/login', {
        body: loginBodyOfSize(64 * KIB),
        headers: { 'content-type': 'application/json' },
      });
      expectError(atLimit, 400, 'invalid_request'); // parsed, then refused by the schema (password too long)
      const over = await fixture.api.post('/auth/login', {
        body: loginBodyOfSize(64 * KIB + 1),
        headers: { 'content-type': 'application/json' },
      });
      expectError(over, 413, 'payload_too_large');
    });

    it('413 for an oversized JSON body sent without a Content-Length', async () => {
      const reply = await fetch(`${fixture.server.url}/messenger/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.access_token}` },
        ...chunked(JSON.stringify({ text: 'y'.repeat(100 * KIB) })),
      });
      expect(reply.status).to.equal(413);
      expect((await reply.json()).error.code).to.equal('payload_too_large');
    });

    it('413 for an oversized form body', async () => {
      const reply = await fixture.api.post('/auth/login', {
        form: { username: 'someone', password: 'x'.repeat(65 * KIB) },
      });
      expectError(reply, 413, 'payload_too_large');
    });

    it('accepts a picture of exactly 5 MiB', async () => {
      const reply = await fixture.api.patch('/users/add_picture', {
        token: alice.access_token,
        body: fileForm(pngOfSize(5 * MIB), 'p.png', 'image/png'),
      });
      expectStatus(reply, 200);
    });

    it('413 for a picture one byte over 5 MiB', async () => {
      const reply = await fixture.api.patch('/users/add_picture', {
        token: alice.access_token,
        body: fileForm(pngOfSize(5 * MIB + 1), 'p.png', 'image/png'),
      });
      expectError(reply, 413, 'payload_too_large');
    });

    it('refuses more than one file', async () => {
      const form = fileForm(png(), 'a.png', 'image/png');
      form.append('other', new Blob([new Uint8Array(png())], { type: 'image/png' }), 'b.png');
      const reply = await fixture.api.patch('/users/add_picture', { token: alice.access_token, body: form });
      expectError(reply, 400, 'invalid_request');
    });
  });

  describe('content types', () => {
    const json = JSON.stringify({ username: 'someone', password: 'whatever1' });
    for (const [what, type] of [
      ['text/plain', 'text/plain'],
      ['XML', 'application/xml'],
      ['multipart', 'multipart/form-data; boundary=x'],
      ['a JSON look-alike', 'application/jsonx'],
    ] as const) {
      it(`415 for ${what} where JSON or a form is expected`, async () => {
        expectError(
          await fixture.api.post('/auth/login', { body: json, headers: { 'content-type': type } }),
          415,
          'unsupported_media_type',
        );
      });
    }

    it('415 for a body without a Content-Type', async () => {
      const reply = await fetch(`${fixture.server.url}/users/create`, {
        method: 'POST',
        body: new Uint8Array(Buffer.from(json)),
      });
      expect(reply.status).to.equal(415);
      expect((await reply.json()).error.code).to.equal('unsupported_media_type');
    });

    it('415 for a form where only JSON is taken', async () => {
      expectError(
        await fixture.api.post('/users/create', {
          form: { username: 'someone', email: 'a@b.example', password: 'whatever1' },
        }),
        415,
        'unsupported_media_type',
      );
    });

    it('415 for JSON where a multipart picture is expected', async () => {
      expectError(
        await fixture.api.patch('/users/add_picture', { token: alice.access_token, json: { file: 'x' } }),
        415,
        'unsupported_media_type',
      );
    });

    it('415 for JSON in a charset the server does not read', async () => {
      const reply = await fixture.api.post('/auth/login', {
        body: json,
        headers: { 'content-type': 'application/json; charset=klingon' },
      });
      expectError(reply, 415, 'unsupported_media_type');
    });

    it('400, not 500, for an empty body under a multipart type where JSON is expected', async () => {
      for (const type of ['multipart/form-data', 'multipart/form-data; boundary=xyz']) {
        const reply = await fetch(`${fixture.server.url}/users/create`, {
          method: 'POST',
          headers: { 'content-type': type },
        });
        expect(reply.status, type).to.equal(400);
        expect((await reply.json()).error.code).to.equal('invalid_request');
      }
    });

    it('a request that is not valid HTTP gets a JSON 400 with the security headers, not a bare one', async () => {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(fixture.server.port, '127.0.0.1', () =>
          socket.end('POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: nine\r\n\r\n'),
        );
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk.toString();
        });
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      const [head, body] = answer.split('\r\n\r\n') as [string, string];
      expect(head).to.match(/^HTTP\/1\.1 400 /);
      expect(head).to.match(/^X-Content-Type-Options: nosniff$/im);
      expect(JSON.parse(body).error.code).to.equal('invalid_request');
    });

    it('431 in the JSON shape for headers over the limit', async () => {
      const reply = await fetch(`${fixture.server.url}/users?search=a`, {
        headers: { 'x-padding': 'p'.repeat(32 * KIB) },
      });
      expect(reply.status).to.equal(431);
      expect(reply.headers.get('x-content-type-options')).to.equal('nosniff');
      expect((await reply.json()).error.code).to.equal('headers_too_large');
    });

    it('400 for malformed JSON and for JSON that is not an object', async () => {
      for (const body of ['{"username":', '{"username":"a",}', 'null', '"text"', '42', '[]', '\u0000']) {
        const reply = await fixture.api.post('/auth/login', { body, headers: { 'content-type': 'application/json' } });
        expectError(reply, 400, 'invalid_request');
      }
    });
  });

  describe('strict schemas', () => {
    afterEach(() => {
      // Nothing a request sent may have reached the shared prototype.
      expect(Object.prototype).to.not.have.property('polluted');
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });

    it('refuses __proto__, constructor and prototype keys in JSON bodies', async () => {
      for (const body of [
        '{"username":"someone","password":"whatever1","__proto__":{"polluted":true}}',
        '{"username":"someone","password":"whatever1","constructor":{"prototype":{"polluted":true}}}',
        '{"username":"someone","password":"whatever1","prototype":{"polluted":true}}',
      ]) {
        expectError(
          await fixture.api.post('/auth/login', { body, headers: { 'content-type': 'application/json' } }),
          400,
          'invalid_request',
        );
      }
      const nested = '{"settings":{"pm_policy":"everyone","__proto__":{"polluted":true}}}';
      expectError(
        await fixture.api.post('/users/update', {
          token: alice.access_token,
          body: nested,
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'invalid_request',
      );
    });

    it('refuses __proto__ in forms and query strings', async () => {
      const form = '__proto__[polluted]=true&username=someone&password=whatever1&constructor[prototype][polluted]=true';
      const reply = await fixture.api.post('/auth/login', {
        body: form,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(reply.status).to.be.oneOf([400, 401]);
      expectError(await fixture.api.get('/users?search=a&__proto__[polluted]=true'), 400, 'invalid_request');
      expectError(
        await fixture.api.get('/messenger/chat?constructor[prototype][polluted]=true', { token: alice.access_token }),
        400,
        'invalid_request',
      );
    });

    it('400 for an operator object where a string is expected (it never reaches a query)', async () => {
      expectError(
        await fixture.api.post('/auth/login', { json: { username: { $gt: '' }, password: 'whatever1' } }),
        400,
        'invalid_request',
      );
      expectError(
        await fixture.api.post('/auth/login', { json: { username: alice.username, password: { $ne: null } } }),
        400,
        'invalid_request',
      );
      expectError(
        await fixture.api.post('/auth/login', {
          body: 'username[$gt]=&password=whatever1',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
        400,
        'invalid_request',
      );
      expectError(await fixture.api.get('/users?search[$regex]=.*'), 400, 'invalid_request');
      expectError(
        await fixture.api.post('/messenger/messages', {
          token: alice.access_token,
          json: { to: { $gt: '' }, text: 'hi' },
        }),
        400,
        'invalid_request',
      );
    });

    it('does not coerce types in bodies', async () => {
      expectError(
        await fixture.api.post('/auth/login', { json: { username: 12345678, password: 'whatever1' } }),
        400,
        'invalid_request',
      );
      expectError(
        await fixture.api.post('/users/update', {
          token: alice.access_token,
          json: { settings: { phone_public: 'true' } },
        }),
        400,
        'invalid_request',
      );
      expectError(
        await fixture.api.post('/messenger/messages', { token: alice.access_token, json: { text: ['hi'] } }),
        400,
        'invalid_request',
      );
    });

    it('refuses unknown fields', async () => {
      const reply = await fixture.api.post('/users/create', {
        json: { username: uniqueName('u'), email: 'x@y.example', password: 'long enough', is_admin: true },
      });
      expectError(reply, 400, 'invalid_request');
      expect(JSON.stringify(reply.body.error)).to.include('is_admin');
    });
  });

  describe('usernames: NFKC before uniqueness', () => {
    const register = (username: string) =>
      fixture.api.post('/users/create', {
        json: { username, email: `${uniqueName('m')}@example.test`, password: 'long enough' },
      });

    it('refuses full-width and other compatibility look-alikes of a taken name', async () => {
      const name = uniqueName('bob');
      expectStatus(await register(name), 201);
      expectError(await register(toFullWidth(name)), 409, 'username_taken');
      expectError(await register(toFullWidth(name.toUpperCase())), 409, 'username_taken');
      // The Kelvin sign (U+212A) and the 'ﬁ' ligature fold to plain letters.
      expectStatus(await register('kfile_1'), 201);
      expectError(await register('\u212A\uFB01le_1'), 409, 'username_taken');
      // The look-alike finds the original profile.
      const found = await fixture.api.get(`/users/${encodeURIComponent(toFullWidth(name))}`);
      expectStatus(found, 200);
      expect(found.body.username).to.equal(name);
    });

    it('a look-alike logs in to the same account (no second account can hide behind it)', async () => {
      const reply = await fixture.api.post('/auth/login', {
        json: { username: toFullWidth(alice.username), password: alice.password },
      });
      expectStatus(reply, 200);
    });
  });

  describe('control characters', () => {
    it('are refused in usernames', async () => {
      for (const username of ['ab\u0000cd', 'ab\u0007cd', 'ab\ncd', 'ab\u007fcd', 'ab\u200bcd']) {
        const reply = await fixture.api.post('/users/create', {
          json: { username, email: `${uniqueName('c')}@example.test`, password: 'long enough' },
        });
        expect(reply.status, JSON.stringify(username)).to.be.oneOf([400, 422]);
      }
    });

    it('are refused in names', async () => {
      for (const first_name of ['Al\u0000ice', 'Al\nice', 'Al\u001bice', 'Al\u0085ice', 'Al\u2028ice']) {
        expectError(
          await fixture.api.post('/users/update', { token: alice.access_token, json: { first_name } }),
          422,
          'validation_failed',
        );
      }
      const me = await fixture.api.get('/users/me', { token: alice.access_token });
      expect(me.body.first_name).to.equal(null);
    });

    it('are refused in messages, over REST, and nothing is stored', async () => {
      const bob = await registerAndLogin(fixture.api, uniqueName('bob'));
      for (const text of ['hi\u0000there', 'hi\u0007', '\u001b[31mred', 'a\u2029b']) {
        expectError(
          await fixture.api.post('/messenger/messages', {
            token: alice.access_token,
            json: { to: bob.username, text },
          }),
          422,
          'validation_failed',
        );
        expectError(
          await fixture.api.post('/messenger/messages', { token: alice.access_token, json: { text } }),
          422,
          'validation_failed',
        );
      }
      // Tabs and newlines are text, not control.
      expectStatus(
        await fixture.api.post('/messenger/messages', {
          token: alice.access_token,
          json: { to: bob.username, text: 'line one\n\tline two' },
        }),
        201,
      );
      const inbox = await fixture.api.get('/messenger/inbox', { token: bob.access_token });
      expect(inbox.body.messages.map((m: { text: string }) => m.text)).to.deep.equal(['line one\n\tline two']);
    });

    it('lone surrogates in a message are refused or stored intact, never a 500', async () => {
      const reply = await fixture.api.post('/messenger/messages', {
        token: alice.access_token,
        body: '{"text":"broken \\ud800 pair"}',
        headers: { 'content-type': 'application/json' },
      });
      expect(reply.status).to.be.oneOf([201, 400, 422]);
    });
  });
});
