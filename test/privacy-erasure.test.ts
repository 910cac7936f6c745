import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { client, registerAndLogin, uniqueName, type Client, type TestUser } from './helpers/http';
import { fileForm, png } from './helpers/images';
import { checkpoint, logShape, rawHits, wrappedKey } from './helpers/privacy';
import { runCli } from './helpers/processes';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { NO_RATE_LIMITS } from './helpers/suite';
import { connectWithHistory } from './helpers/ws';

const tag = () => randomBytes(6).toString('hex');

/** A user with every personal field filled in, each a string found nowhere else. */
async function registerPerson(api: Client): Promise<TestUser & { personal: string[] }> {
  const username = uniqueName('person');
  const password = 'correct horse battery';
  const fields = {
    email: `mail${tag()}@example.test`,
    first_name: `First${tag()}`,
    last_name: `Last${tag()}`,
    phone: `+4930${parseInt(tag(), 16)}`,
  };
  const created = await api.post('/users/create', { json: { username, password, ...fields } });
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  const login = await api.post('/auth/login', { json: { username, password } });
  expect(login.status).to.equal(200);
  return {
    user_id: created.body.user_id,
    username,
    password,
    access_token: login.body.access_token,
    refresh_token: login.body.refresh_token,
    personal: Object.values(fields),
  };
}

async function send(api: Client, from: TestUser, json: object): Promise<void> {
  const sent = await api.post('/messenger/messages', { token: from.access_token, json });
  expect(sent.status, JSON.stringify(sent.body)).to.equal(201);
}

describe("erasure is provable: none of the person's data is left in DATA_DIR", function () {
  this.timeout(120_000);
  const dataDir = tempDataDir();
  const env = { ...NO_RATE_LIMITS, DATA_DIR: dataDir };
  let server: TestServer | undefined;
  let api: Client;
  let victim: TestUser & { personal: string[] };
  let friend: TestUser;
  let key: Buffer | null;
  let shapeBefore: unknown[];
  const sentTexts: string[] = [];

  before(async () => {
    server = await startTestServer(env, { keepData: true });
    api = client(server.url);
    victim = await registerPerson(api);
    friend = await registerAndLogin(api);
    // A changed phone and email: the old values must go as well as the new ones.
    const newPhone = `+4940${parseInt(tag(), 16)}`;
    const newEmail = `moved${tag()}@example.test`;
    const updated = await api.post('/users/update', {
      token: victim.access_token,
      json: { phone: newPhone, email: newEmail },
    });
    expect(updated.status, JSON.stringify(updated.body)).to.equal(200);
    victim.personal.push(newPhone, newEmail);
    const picture = await api.patch('/users/add_picture', {
      token: victim.access_token,
      body: fileForm(png([1, 2, 3]), 'me.png'),
    });
    expect(picture.status).to.equal(200);
    for (let i = 0; i < 3; i++) {
      const pmText = `private secret ${tag()}`;
      const chatText = `chat secret ${tag()}`;
      sentTexts.push(pmText, chatText);
      await send(api, victim, { to: friend.username, text: pmText });
      await send(api, victim, { text: chatText });
    }
    // An edited message: the new text is theirs too, and so is the conversation list's copy of it.
    const sentPm = await api.post('/messenger/messages', {
      token: victim.access_token,
      json: { to: friend.username, text: `to be edited ${tag()}` },
    });
    sentTexts.push(sentPm.body.text);
    const editedText = `edited secret ${tag()}`;
    const edited = await api.patch(`/messenger/messages/${sentPm.body.id}`, {
      token: victim.access_token,
      json: { text: editedText },
    });
    expect(edited.status, JSON.stringify(edited.body)).to.equal(200);
    sentTexts.push(editedText);
    // The friend blocks them, and reads their messages.
    const blocked = await api.post('/users/blocks', {
      token: friend.access_token,
      json: { username: victim.username },
    });
    expect(blocked.status).to.equal(204);
    const read = await api.post(`/messenger/conversations/${victim.username}/read`, {
      token: friend.access_token,
      json: { up_to: sentPm.body.id },
    });
    expect(read.status).to.equal(204);
    await send(api, friend, { text: 'the friend speaks in the chat' });
    key = wrappedKey(dataDir, victim.user_id);
  });
  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the personal fields only encrypted in the log, and in an export taken before the erasure', async () => {
    expect(key).to.be.instanceOf(Buffer);
    const file = path.join(dataDir, '..', `${path.basename(dataDir)}-before.ndjson`);
    try {
      const exported = await runCli(['events', 'export', '--output', file], env);
      expect(exported.code, exported.stderr).to.equal(0);
      const text = readFileSync(file, 'utf8');
      for (const s of [...victim.personal, ...sentTexts]) expect(text, s).not.to.contain(s);
      expect(text).to.contain('pii:v1:');
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('refuses a wrong password and changes nothing', async () => {
    const head = await server!.parley.operations.head();
    const wrong = await api.request('DELETE', '/users/me', {
      token: victim.access_token,
      json: { password: 'not the password' },
    });
    expect(wrong.status).to.equal(401);
    expect(wrong.body.error.code).to.equal('invalid_credentials');
    expect(await server!.parley.operations.head()).to.equal(head);
    expect((await api.get('/users/me', { token: victim.access_token })).status).to.equal(200);
  });

  it('erases: 204, sockets close with 4003, and every trace but the username goes', async () => {
    const { client: socket } = await connectWithHistory(server!.url, victim.access_token);
    shapeBefore = logShape(dataDir);
    const erased = await api.request('DELETE', '/users/me', {
      token: victim.access_token,
      json: { password: victim.password },
    });
    expect(erased.status, JSON.stringify(erased.body)).to.equal(204);
    expect((await socket.closed).code).to.equal(4003);

    expect((await api.get('/users/me', { token: victim.access_token })).status).to.equal(401);
    const login = await api.post('/auth/login', { json: { username: victim.username, password: victim.password } });
    const unknown = await api.post('/auth/login', {
      json: { username: uniqueName('nobody'), password: victim.password },
    });
    expect(login.status).to.equal(401);
    expect(login.body).to.deep.equal(unknown.body);
    expect((await api.get(`/users/${victim.username}`)).status).to.equal(404);
    expect((await api.get(`/users/${victim.username}/picture`)).status).to.equal(404);

    // The friend's history keeps the messages in order, without sender or text.
    const inbox = await api.get('/messenger/inbox', { token: friend.access_token });
    expect(inbox.body.messages).to.have.length(4);
    for (const m of inbox.body.messages)
      expect(m).to.include({ from: null, erased: true, text: null, to: friend.username });
    const chat = await api.get('/messenger/chat', { token: friend.access_token });
    expect(chat.body.messages.map((m: { text: string | null }) => m.text)).to.deep.equal([
      'the friend speaks in the chat',
      null,
      null,
      null,
    ]);
    // Their block by the friend went with them; the friend's list shows their last message erased.
    expect((await api.get('/users/blocks', { token: friend.access_token })).body.users).to.deep.equal([]);
    const list = await api.get('/messenger/conversations', { token: friend.access_token });
    expect(list.body.conversations).to.have.length(1);
    expect(list.body.conversations[0].last_message).to.include({ from: null, erased: true, text: null });
  });

  it('leaves none of it in any file of DATA_DIR after a checkpoint, the data key included', async () => {
    await server!.close();
    server = undefined;
    checkpoint(dataDir);
    expect(rawHits(dataDir, [...victim.personal, ...sentTexts, key!])).to.deep.equal([]);
    // A control: the search finds what is still there.
    expect(rawHits(dataDir, ['the friend speaks in the chat'])).to.have.length.above(0);
  });

  it('leaves the log replayable: positions, ids, types and versions as they were, the erasure appended', () => {
    const after = logShape(dataDir);
    expect(after.slice(0, shapeBefore.length)).to.deep.equal(shapeBefore);
    expect((after.slice(shapeBefore.length) as { type: string }[]).map((e) => e.type)).to.deep.equal([
      'EmailReleased',
      'SessionRevoked',
      'UserErased',
    ]);
  });

  it('does not bring anything back with a rebuild, and an export after it holds none of it', async () => {
    const rebuilt = await runCli(['rebuild'], env);
    expect(rebuilt.code, rebuilt.stderr).to.equal(0);
    const exported = await runCli(['events', 'export'], env);
    expect(exported.code, exported.stderr).to.equal(0);
    for (const s of [...victim.personal, ...sentTexts]) expect(exported.stdout, s).not.to.contain(s);
    checkpoint(dataDir);
    expect(rawHits(dataDir, [...victim.personal, ...sentTexts])).to.deep.equal([]);

    server = await startTestServer(env, { keepData: true });
    api = client(server.url);
    const inbox = await api.get('/messenger/inbox', { token: (await relogin(api, friend)).access_token });
    for (const m of inbox.body.messages) expect(m).to.include({ from: null, erased: true, text: null });
  });
});

async function relogin(api: Client, user: TestUser): Promise<TestUser> {
  const login = await api.post('/auth/login', { json: { username: user.username, password: user.password } });
  expect(login.status).to.equal(200);
  return { ...user, access_token: login.body.access_token };
}
