import Database from 'better-sqlite3';
import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { sqliteFileIn } from '../src/store/sqlite';
import { expectError, expectStatus } from './helpers/assert';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { startTestServer, tempDataDir } from './helpers/server';
import { NO_RATE_LIMITS, useServer } from './helpers/suite';

interface Message {
  type: 'pm' | 'chat';
  id: string;
  from: string;
  to?: string;
  text: string | null;
  sent_at: string;
  edited_at: string | null;
  deleted: boolean;
}

describe('REST: editing and deleting messages', () => {
  const fixture = useServer();
  let api: Client;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  before(async () => {
    api = fixture.api;
    [alice, bob, carol] = [await registerAndLogin(api), await registerAndLogin(api), await registerAndLogin(api)];
  });

  const send = async (user: TestUser, json: unknown): Promise<Message> => {
    const reply = await api.post('/messenger/messages', { token: user.access_token, json });
    expectStatus(reply, 201);
    return reply.body;
  };
  const edit = (user: TestUser | null, id: string, json: unknown) =>
    api.patch(`/messenger/messages/${encodeURIComponent(id)}`, { ...(user ? { token: user.access_token } : {}), json });
  const remove = (user: TestUser | null, id: string) =>
    api.request('DELETE', `/messenger/messages/${encodeURIComponent(id)}`, user ? { token: user.access_token } : {});
  const inbox = async (user: TestUser): Promise<Message[]> =>
    (await api.get('/messenger/inbox', { token: user.access_token })).body.messages;
  const conversation = async (user: TestUser, other: TestUser): Promise<Message[]> =>
    (await api.get(`/messenger/conversations/${other.username}`, { token: user.access_token })).body.messages;
  const chat = async (limit = 100): Promise<Message[]> =>
    (await api.get(`/messenger/chat?limit=${limit}`, { token: alice.access_token })).body.messages;
  const byId = (messages: Message[], id: string) => messages.find((m) => m.id === id);

  describe('PATCH /messenger/messages/{id}', () => {
    it('edits your PM: 200 with the whole message, and every history shows the new text and edited_at', async () => {
      const sent = await send(alice, { to: bob.username, text: 'helo bob' });
      expect(sent).to.include({ edited_at: null, deleted: false });
      const reply = await edit(alice, sent.id, { text: '  hello bob ' });
      expectStatus(reply, 200);
      const edited: Message = reply.body;
      expect(edited).to.have.all.keys('type', 'id', 'from', 'to', 'text', 'sent_at', 'edited_at', 'deleted');
      expect(edited).to.include({
        type: 'pm',
        id: sent.id,
        from: alice.username,
        to: bob.username,
        text: 'hello bob',
        sent_at: sent.sent_at,
        deleted: false,
      });
      expect(Date.parse(edited.edited_at!)).to.be.at.least(Date.parse(sent.sent_at));
      // consistent: the read models have it when the reply comes.
      expect(byId(await inbox(bob), sent.id)).to.deep.equal(edited);
      expect(byId(await conversation(bob, alice), sent.id)).to.deep.equal(edited);
      expect(byId(await conversation(alice, bob), sent.id)).to.deep.equal(edited);
    });

    it('edits your chat line', async () => {
      const sent = await send(alice, { text: 'hi evryone' });
      const reply = await edit(alice, sent.id, { text: 'hi everyone' });
      expectStatus(reply, 200);
      expect(reply.body).to.have.all.keys('type', 'id', 'from', 'text', 'sent_at', 'edited_at', 'deleted');
      expect(reply.body).to.include({ type: 'chat', id: sent.id, text: 'hi everyone', deleted: false });
      expect(byId(await chat(), sent.id)).to.deep.equal(reply.body);
    });

    it('the same text again changes nothing: the message as it is, edited_at unchanged', async () => {
      const sent = await send(alice, { to: bob.username, text: 'once' });
      const same = await edit(alice, sent.id, { text: 'once ' });
      expectStatus(same, 200);
      expect(same.body).to.deep.equal(sent);
      const first = (await edit(alice, sent.id, { text: 'twice' })).body as Message;
      const again = await edit(alice, sent.id, { text: 'twice' });
      expectStatus(again, 200);
      expect(again.body).to.deep.equal(first);
    });

    it('keeps the message in its place in the history', async () => {
      const a = await send(alice, { to: carol.username, text: 'first' });
      const b = await send(carol, { to: alice.username, text: 'second' });
      const c = await send(alice, { to: carol.username, text: 'third' });
      expectStatus(await edit(alice, a.id, { text: 'first, edited' }), 200);
      const history = await conversation(carol, alice);
      expect(history.map((m) => m.id)).to.deep.equal([c.id, b.id, a.id]);
      expect(history.map((m) => m.text)).to.deep.equal(['third', 'second', 'first, edited']);
    });

    it('403 not_message_sender for the recipient of a PM and for others’ chat lines', async () => {
      const pm = await send(alice, { to: bob.username, text: 'mine' });
      expectError(await edit(bob, pm.id, { text: 'yours?' }), 403, 'not_message_sender');
      const line = await send(alice, { text: 'my line' });
      expectError(await edit(carol, line.id, { text: 'hijack' }), 403, 'not_message_sender');
      expect(byId(await inbox(bob), pm.id)!.text).to.equal('mine');
    });

    it('404 message_not_found for an unknown id, and for a PM the caller is no party to', async () => {
      expectError(await edit(alice, '00000000-0000-0000-0000-000000000000', { text: 'x' }), 404, 'message_not_found');
      const pm = await send(alice, { to: bob.username, text: 'between us' });
      expectError(await edit(carol, pm.id, { text: 'x' }), 404, 'message_not_found');
    });

    it('422 validation_failed for text that breaks the sending rules', async () => {
      const sent = await send(alice, { to: bob.username, text: 'valid' });
      for (const text of ['', '   ', 'x'.repeat(4001), 'bell\u0007']) {
        expectError(await edit(alice, sent.id, { text }), 422, 'validation_failed');
      }
      expect(byId(await inbox(bob), sent.id)).to.include({ text: 'valid', edited_at: null });
    });

    it('400 for a malformed body, 401 without a token', async () => {
      const sent = await send(alice, { text: 'shape' });
      expectError(await edit(alice, sent.id, {}), 400);
      expectError(await edit(alice, sent.id, { text: 1 }), 400);
      expectError(await edit(alice, sent.id, { text: 'x', to: bob.username }), 400);
      expectError(await edit(alice, 'x'.repeat(65), { text: 'x' }), 400);
      expectError(await edit(null, sent.id, { text: 'x' }), 401);
    });

    it('410 message_deleted for a deleted message', async () => {
      const sent = await send(alice, { to: bob.username, text: 'soon gone' });
      expectStatus(await remove(alice, sent.id), 204);
      expectError(await edit(alice, sent.id, { text: 'back' }), 410, 'message_deleted');
      // Others are still told it is not theirs, as before the delete.
      expectError(await edit(bob, sent.id, { text: 'back' }), 403, 'not_message_sender');
    });
  });

  describe('DELETE /messenger/messages/{id}', () => {
    it('deletes your PM: 204, and every history keeps it in place as a tombstone', async () => {
      const before = await send(bob, { to: alice.username, text: 'before' });
      const sent = await send(alice, { to: bob.username, text: 'regret' });
      const after = await send(bob, { to: alice.username, text: 'after' });
      const reply = await remove(alice, sent.id);
      expectStatus(reply, 204);
      expect(reply.body).to.equal('');
      const tombstone = { ...sent, text: null, deleted: true };
      expect(byId(await inbox(bob), sent.id)).to.deep.equal(tombstone);
      const history = await conversation(alice, bob);
      expect(history.slice(0, 3).map((m) => m.id)).to.deep.equal([after.id, sent.id, before.id]);
      expect(history[1]).to.deep.equal(tombstone);
      expect(byId(await conversation(bob, alice), sent.id)).to.deep.equal(tombstone);
    });

    it('deletes an edited message (the tombstone keeps when it was edited) and a chat line', async () => {
      const sent = await send(alice, { to: bob.username, text: 'v1' });
      const edited = (await edit(alice, sent.id, { text: 'v2' })).body as Message;
      expectStatus(await remove(alice, sent.id), 204);
      expect(byId(await inbox(bob), sent.id)).to.deep.equal({ ...edited, text: null, deleted: true });
      const line = await send(alice, { text: 'a line to delete' });
      expectStatus(await remove(alice, line.id), 204);
      expect(byId(await chat(), line.id)).to.deep.equal({ ...line, text: null, deleted: true });
    });

    it('is idempotent: deleting again is 204 too', async () => {
      const sent = await send(alice, { text: 'twice deleted' });
      expectStatus(await remove(alice, sent.id), 204);
      expectStatus(await remove(alice, sent.id), 204);
      expect(byId(await chat(), sent.id)).to.include({ deleted: true, text: null });
    });

    it('403 for anyone but the sender, 404 for strangers to a PM and unknown ids, 401 without a token', async () => {
      const pm = await send(alice, { to: bob.username, text: 'keep' });
      const line = await send(alice, { text: 'keep too' });
      expectError(await remove(bob, pm.id), 403, 'not_message_sender');
      expectError(await remove(bob, line.id), 403, 'not_message_sender');
      expectError(await remove(carol, pm.id), 404, 'message_not_found');
      expectError(await remove(alice, 'no-such-message'), 404, 'message_not_found');
      expectError(await remove(null, pm.id), 401);
      expect(byId(await inbox(bob), pm.id)).to.include({ text: 'keep', deleted: false });
    });
  });

  describe('a resend with the same ref', () => {
    it('answers with the message as it now is: edited, then a tombstone; and stores nothing new', async () => {
      const first = await send(alice, { to: bob.username, text: 'v1', ref: 'resend-after-edit' });
      const edited = (await edit(alice, first.id, { text: 'v2' })).body as Message;
      const again = await api.post('/messenger/messages', {
        token: alice.access_token,
        json: { to: bob.username, text: 'v1', ref: 'resend-after-edit' },
      });
      expect(again.body).to.deep.equal(edited);
      expectStatus(await remove(alice, first.id), 204);
      const line = await send(alice, { text: 'a line', ref: 'resend-after-delete' });
      expectStatus(await remove(alice, line.id), 204);
      const resent = await api.post('/messenger/messages', {
        token: alice.access_token,
        json: { text: 'a line', ref: 'resend-after-delete' },
      });
      expect(resent.body).to.deep.equal({ ...line, text: null, deleted: true });
      const afterPm = await api.post('/messenger/messages', {
        token: alice.access_token,
        json: { to: bob.username, text: 'v1', ref: 'resend-after-edit' },
      });
      expect(afterPm.body).to.deep.equal({ ...edited, text: null, deleted: true });
      expect((await conversation(bob, alice)).filter((m) => m.id === first.id)).to.have.length(1);
    });
  });

  describe('the inbox (the last 20 received)', () => {
    it('shows edits and tombstones of what it holds; a change to a message it no longer holds changes nothing there', async () => {
      const dave = await registerAndLogin(api);
      const old = await send(alice, { to: dave.username, text: 'old one' });
      const recent = [];
      for (let i = 0; i < 20; i++) recent.push(await send(alice, { to: dave.username, text: `recent ${i}` }));
      expectStatus(await edit(alice, old.id, { text: 'old one, edited' }), 200);
      expectStatus(await edit(alice, recent[0].id, { text: 'recent 0, edited' }), 200);
      expectStatus(await remove(alice, recent[1].id), 204);
      const held = await inbox(dave);
      expect(held.map((m) => m.id)).to.deep.equal(recent.map((m) => m.id));
      expect(held[0]).to.include({ text: 'recent 0, edited' });
      expect(held[1]).to.include({ text: null, deleted: true });
      // The full history has the old one's edit.
      expect(byId(await conversation(dave, alice), old.id)).to.include({ text: 'old one, edited' });
    });
  });
});

describe('a database from before edits existed', () => {
  it('gains the new columns on start-up: old messages show as never edited, and can be edited and deleted', async () => {
    const dataDir = tempDataDir();
    try {
      const first = await startTestServer({ ...NO_RATE_LIMITS, DATA_DIR: dataDir }, { keepData: true });
      const api1 = client(first.url);
      const [alice, bob] = [await registerAndLogin(api1), await registerAndLogin(api1)];
      const pm = (
        await api1.post('/messenger/messages', {
          token: alice.access_token,
          json: { to: bob.username, text: 'old pm' },
        })
      ).body;
      const line = (await api1.post('/messenger/messages', { token: alice.access_token, json: { text: 'old line' } }))
        .body;
      await first.stop();
      // The tables as an earlier release created them: without edited_at and deleted.
      const db = new Database(sqliteFileIn(dataDir));
      for (const table of ['rm_inbox', 'rm_conversations', 'rm_chat']) {
        db.exec(`ALTER TABLE ${table} DROP COLUMN edited_at; ALTER TABLE ${table} DROP COLUMN deleted`);
      }
      db.close();

      const second = await startTestServer({ ...NO_RATE_LIMITS, DATA_DIR: dataDir });
      try {
        const api = client(second.url);
        const inbox = (await api.get('/messenger/inbox', { token: bob.access_token })).body.messages;
        expect(inbox).to.deep.equal([pm]);
        expect(pm).to.include({ edited_at: null, deleted: false });
        expectStatus(
          await api.patch(`/messenger/messages/${pm.id}`, { token: alice.access_token, json: { text: 'new text' } }),
          200,
        );
        expectStatus(await api.request('DELETE', `/messenger/messages/${line.id}`, { token: alice.access_token }), 204);
        expect((await api.get('/messenger/inbox', { token: bob.access_token })).body.messages[0]).to.include({
          text: 'new text',
        });
        expect((await api.get('/messenger/chat', { token: bob.access_token })).body.messages[0]).to.include({
          id: line.id,
          deleted: true,
        });
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
