import { expect } from 'chai';
import { expectError, expectStatus } from './helpers/assert';
import { registerAndLogin, type Client, type TestUser } from './helpers/http';
import { useServer } from './helpers/suite';

interface Message {
  type: 'pm' | 'chat';
  id: string;
  from: string;
  to?: string;
  text: string;
  sent_at: string;
}

describe('REST: messenger', () => {
  const fixture = useServer();
  let api: Client;
  let alice: TestUser;
  let bob: TestUser;
  before(async () => {
    api = fixture.api;
    alice = await registerAndLogin(api);
    bob = await registerAndLogin(api);
  });

  const send = (user: TestUser, json: unknown) => api.post('/messenger/messages', { token: user.access_token, json });
  const texts = (messages: Message[]) => messages.map((m) => m.text);

  describe('POST /messenger/messages', () => {
    it('"/pm <user> <text>" sends a private message (recipient matched case-insensitively)', async () => {
      const reply = await send(alice, { text: `/pm ${bob.username.toUpperCase()}   hello  bob ` });
      expectStatus(reply, 201);
      expect(reply.body).to.have.all.keys('type', 'id', 'from', 'to', 'text', 'sent_at');
      expect(reply.body).to.include({ type: 'pm', from: alice.username, to: bob.username, text: 'hello  bob' });
    });

    it('{to, text} sends a private message', async () => {
      const reply = await send(alice, { to: bob.username, text: 'via to' });
      expectStatus(reply, 201);
      expect(reply.body).to.include({ type: 'pm', to: bob.username, text: 'via to' });
    });

    it('plain text goes to the general chat', async () => {
      const reply = await send(alice, { text: '  hello everyone ' });
      expectStatus(reply, 201);
      expect(reply.body).to.have.all.keys('type', 'id', 'from', 'text', 'sent_at');
      expect(reply.body).to.include({ type: 'chat', from: alice.username, text: 'hello everyone' });
    });

    it('404 for an unknown recipient, by either syntax', async () => {
      expectError(await send(alice, { text: '/pm nobody_such_user hi' }), 404, 'recipient_not_found');
      expectError(await send(alice, { to: 'nobody_such_user', text: 'hi' }), 404, 'recipient_not_found');
    });

    it('422 for a message to oneself', async () => {
      expectError(await send(alice, { text: `/pm ${alice.username} hi me` }), 422, 'pm_to_self');
      expectError(await send(alice, { to: alice.username.toUpperCase(), text: 'hi me' }), 422, 'pm_to_self');
    });

    it('403 when the recipient accepts no private messages, and the chat still works', async () => {
      const carol = await registerAndLogin(api);
      expectStatus(
        await api.post('/users/update', { token: carol.access_token, json: { settings: { pm_policy: 'nobody' } } }),
        200,
      );
      expectError(await send(alice, { to: carol.username, text: 'hi carol' }), 403, 'pm_not_accepted');
      expectError(await send(alice, { text: `/pm ${carol.username} hi carol` }), 403, 'pm_not_accepted');
      expect((await api.get('/messenger/inbox', { token: carol.access_token })).body.messages).to.deep.equal([]);
      expectStatus(await send(carol, { text: 'I can still chat' }), 201);
    });

    it('422 for empty, whitespace-only or over-long text, and for "/pm" without a text', async () => {
      for (const json of [
        { text: '' },
        { text: '   \n\t' },
        { to: bob.username, text: '  ' },
        { text: 'x'.repeat(4001) },
        { to: bob.username, text: 'y'.repeat(4001) },
        { text: '/pm' },
        { text: `/pm ${bob.username}` },
        { text: `/pm ${bob.username}    ` },
      ]) {
        expectError(await send(alice, json), 422, 'validation_failed');
      }
    });

    it('accepts exactly 4000 characters', async () => {
      expectStatus(await send(alice, { to: bob.username, text: 'z'.repeat(4000) }), 201);
    });

    it('400 for a missing text, wrong types or unknown fields', async () => {
      expectError(await send(alice, { to: bob.username }), 400, 'invalid_request');
      expectError(await send(alice, { text: 42 }), 400, 'invalid_request');
      expectError(await send(alice, { text: 'hi', channel: 'general' }), 400, 'invalid_request');
      expectError(await send(alice, { text: 'hi', ref: '' }), 400, 'invalid_request');
    });

    it('401 without a token', async () => {
      expectError(await api.post('/messenger/messages', { json: { text: 'hi' } }), 401);
    });

    it('a resend with the same ref returns the same message and stores it once', async () => {
      const dave = await registerAndLogin(api);
      const ref = 'client-ref-1';
      const first = await send(alice, { to: dave.username, text: 'only once', ref });
      const again = await send(alice, { to: dave.username, text: 'only once', ref });
      expectStatus(first, 201);
      expectStatus(again, 201);
      expect(again.body).to.deep.equal(first.body);
      expect(
        (await api.get('/messenger/inbox', { token: dave.access_token })).body.messages.map((m: Message) => m.id),
      ).to.deep.equal([first.body.id]);

      // Chat messages too; and the same ref from another user is another message.
      const chat1 = await send(alice, { text: 'chat once', ref: 'chat-ref' });
      const chat2 = await send(alice, { text: 'chat once', ref: 'chat-ref' });
      const byDave = await send(dave, { text: 'chat once', ref: 'chat-ref' });
      expect(chat2.body.id).to.equal(chat1.body.id);
      expect(byDave.body.id).not.to.equal(chat1.body.id);
      const history = (await api.get('/messenger/chat?limit=100', { token: alice.access_token })).body
        .messages as Message[];
      expect(history.filter((m) => m.id === chat1.body.id)).to.have.length(1);
    });
  });

  describe('GET /messenger/inbox', () => {
    it('holds the last 20 received private messages, oldest first', async () => {
      const erin = await registerAndLogin(api);
      for (let i = 1; i <= 25; i++)
        expectStatus(await send(i % 2 ? alice : bob, { to: erin.username, text: `pm ${i}` }), 201);
      const inbox = await api.get('/messenger/inbox', { token: erin.access_token });
      expectStatus(inbox, 200);
      expect(texts(inbox.body.messages)).to.deep.equal(Array.from({ length: 20 }, (_, i) => `pm ${i + 6}`));
      expect(inbox.body.messages[0]).to.include({ type: 'pm', from: bob.username, to: erin.username });
    });

    it('does not show messages the user sent', async () => {
      const frank = await registerAndLogin(api);
      expectStatus(await send(frank, { to: alice.username, text: 'outgoing' }), 201);
      expect((await api.get('/messenger/inbox', { token: frank.access_token })).body).to.deep.equal({ messages: [] });
    });

    it('401 without a token', async () => {
      expectError(await api.get('/messenger/inbox'), 401);
    });
  });

  describe('GET /messenger/conversations/{username}', () => {
    let gina: TestUser;
    let hank: TestUser;
    before(async () => {
      gina = await registerAndLogin(api);
      hank = await registerAndLogin(api);
      for (let i = 1; i <= 7; i++)
        expectStatus(
          await send(i % 2 ? gina : hank, { to: i % 2 ? hank.username : gina.username, text: `c${i}` }),
          201,
        );
      // Messages with others stay out of this conversation.
      expectStatus(await send(alice, { to: gina.username, text: 'not in it' }), 201);
    });

    it('is the whole history between the two, newest first, the same from both sides', async () => {
      const fromGina = await api.get(`/messenger/conversations/${hank.username}`, { token: gina.access_token });
      expectStatus(fromGina, 200);
      expect(texts(fromGina.body.messages)).to.deep.equal(['c7', 'c6', 'c5', 'c4', 'c3', 'c2', 'c1']);
      const fromHank = await api.get(`/messenger/conversations/${gina.username.toUpperCase()}`, {
        token: hank.access_token,
      });
      expect(fromHank.body).to.deep.equal(fromGina.body);
    });

    it('pages with before and limit', async () => {
      const page1 = await api.get(`/messenger/conversations/${hank.username}?limit=3`, { token: gina.access_token });
      expect(texts(page1.body.messages)).to.deep.equal(['c7', 'c6', 'c5']);
      const last = page1.body.messages[2].id;
      const page2 = await api.get(`/messenger/conversations/${hank.username}?limit=3&before=${last}`, {
        token: gina.access_token,
      });
      expect(texts(page2.body.messages)).to.deep.equal(['c4', 'c3', 'c2']);
      const page3 = await api.get(
        `/messenger/conversations/${hank.username}?limit=3&before=${page2.body.messages[2].id}`,
        { token: gina.access_token },
      );
      expect(texts(page3.body.messages)).to.deep.equal(['c1']);
    });

    it('400 for an unknown before, or one from another conversation; 400 for a bad limit', async () => {
      expectError(
        await api.get(`/messenger/conversations/${hank.username}?before=no-such-message`, { token: gina.access_token }),
        400,
        'invalid_cursor',
      );
      const other = (await api.get(`/messenger/conversations/${alice.username}`, { token: gina.access_token })).body
        .messages[0].id;
      expectError(
        await api.get(`/messenger/conversations/${hank.username}?before=${other}`, { token: gina.access_token }),
        400,
        'invalid_cursor',
      );
      for (const limit of ['0', '101', 'many']) {
        expectError(
          await api.get(`/messenger/conversations/${hank.username}?limit=${limit}`, { token: gina.access_token }),
          400,
          'invalid_request',
        );
      }
    });

    it('404 for an unknown user, 401 without a token', async () => {
      expectError(
        await api.get('/messenger/conversations/nobody_such_user', { token: gina.access_token }),
        404,
        'user_not_found',
      );
      expectError(await api.get(`/messenger/conversations/${hank.username}`), 401);
    });
  });

  describe('GET /messenger/chat', () => {
    it('pages the general chat newest first with before and limit', async () => {
      const posted: string[] = [];
      for (let i = 1; i <= 5; i++) {
        const reply = await send(bob, { text: `chat line ${i}` });
        expectStatus(reply, 201);
        posted.push(reply.body.id);
      }
      const page1 = await api.get('/messenger/chat?limit=2', { token: alice.access_token });
      expectStatus(page1, 200);
      expect(texts(page1.body.messages)).to.deep.equal(['chat line 5', 'chat line 4']);
      expect(page1.body.messages[0]).to.include({ type: 'chat', from: bob.username });
      const page2 = await api.get(`/messenger/chat?limit=2&before=${posted[3]}`, { token: alice.access_token });
      expect(texts(page2.body.messages)).to.deep.equal(['chat line 3', 'chat line 2']);
    });

    it('400 for an unknown before or a bad limit; 401 without a token', async () => {
      expectError(
        await api.get('/messenger/chat?before=not-a-message', { token: alice.access_token }),
        400,
        'invalid_cursor',
      );
      expectError(await api.get('/messenger/chat?limit=0', { token: alice.access_token }), 400, 'invalid_request');
      expectError(await api.get('/messenger/chat'), 401);
    });
  });
});
