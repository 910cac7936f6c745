import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { hashPassword } from '../src/auth/passwords';
import { sqliteFileIn } from '../src/store/sqlite';
import { client } from './helpers/http';
import { checkpoint, logShape, rawHits } from './helpers/privacy';
import { runCli } from './helpers/processes';
import { startTestServer, tempDataDir } from './helpers/server';
import { NO_RATE_LIMITS } from './helpers/suite';

const tag = () => randomBytes(6).toString('hex');

describe('parley privacy migrate: a log written before encryption (raw v1 rows)', function () {
  this.timeout(90_000);
  const dataDir = tempDataDir();
  const env = { ...NO_RATE_LIMITS, DATA_DIR: dataDir };
  const victim = { id: randomUUID(), username: 'Old.Victim', password: 'old release password' };
  const friendId = randomUUID();
  const personal = {
    email: `Old${tag()}@Example.test`,
    first_name: `Ada${tag()}`,
    last_name: `Byron${tag()}`,
    phone: `+44${parseInt(tag(), 16)}`,
    newPhone: `+33${parseInt(tag(), 16)}`,
  };
  const texts = [`old private ${tag()}`, `old chat ${tag()}`];
  const streams = () => {
    const db = new Database(sqliteFileIn(dataDir), { readonly: true });
    const rows = db.prepare('SELECT stream FROM events ORDER BY position').all() as { stream: string }[];
    db.close();
    return rows.map((r) => r.stream);
  };
  let shapeBefore: unknown[];
  let streamsBefore: string[];

  before(async () => {
    expect((await runCli(['projections', 'status'], env)).code).to.equal(0);
    const db = new Database(sqliteFileIn(dataDir));
    const insert =
      db.prepare(`INSERT INTO events (position, id, stream, version, type, schema_version, time, data, metadata)
      VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)`);
    const metadata = JSON.stringify({ correlation_id: randomUUID(), causation_id: randomUUID() });
    const time = '2026-01-01T12:00:00.000Z';
    const emailKey = personal.email.toLowerCase();
    const register = (id: string, username: string, email: string, hash: string, names: boolean) => ({
      user_id: id,
      username,
      email,
      password_hash: hash,
      first_name: names ? personal.first_name : null,
      last_name: names ? personal.last_name : null,
      phone: names ? personal.phone : null,
      settings: { pm_policy: 'everyone', phone_public: false },
    });
    // The rows release 0.1 wrote: plaintext everywhere, the email claim stream named after the address.
    const rows: [string, number, string, object][] = [
      ['username-old.victim', 1, 'UsernameClaimed', { key: 'old.victim', user_id: victim.id }],
      [`email-${emailKey}`, 1, 'EmailClaimed', { key: emailKey, user_id: victim.id }],
      [
        `user-${victim.id}`,
        1,
        'UserRegistered',
        register(victim.id, victim.username, personal.email, await hashPassword(victim.password), true),
      ],
      ['username-old.friend', 1, 'UsernameClaimed', { key: 'old.friend', user_id: friendId }],
      ['email-friend@example.test', 1, 'EmailClaimed', { key: 'friend@example.test', user_id: friendId }],
      [`user-${friendId}`, 1, 'UserRegistered', register(friendId, 'Old.Friend', 'friend@example.test', 'x', false)],
      [`user-${victim.id}`, 2, 'ProfileUpdated', { user_id: victim.id, changes: { phone: personal.newPhone } }],
      [
        'pm-m1',
        1,
        'MessageSent',
        {
          message_id: 'm1',
          from_id: victim.id,
          from: victim.username,
          to_id: friendId,
          to: 'Old.Friend',
          text: texts[0],
        },
      ],
      [
        'chat-m2',
        1,
        'ChatMessagePosted',
        { message_id: 'm2', from_id: victim.id, from: victim.username, text: texts[1] },
      ],
    ];
    rows.forEach(([stream, version, type, data], i) =>
      insert.run(i + 1, randomUUID(), stream, version, type, time, JSON.stringify(data), metadata),
    );
    db.close();
    shapeBefore = logShape(dataDir);
    streamsBefore = streams();
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is reported by `privacy status` as not provable', async () => {
    const status = await runCli(['privacy', 'status'], env);
    expect(status.code).to.equal(3);
    expect(status.stderr).to.include('events 1..9 of 9 were written before personal data was encrypted');
  });

  it('rewrites the personal fields and the claim stream names, leaving ids, positions, types and versions', async () => {
    const run = await runCli(['privacy', 'migrate'], env);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.include('looked at 9 events up to position 9, rewrote 7');
    expect(logShape(dataDir)).to.deep.equal(shapeBefore);
    const after = streams();
    after.forEach((stream, i) => {
      if (streamsBefore[i].startsWith('email-')) expect(stream).to.match(/^email-h1:[0-9a-f]{64}$/);
      else expect(stream).to.equal(streamsBefore[i]);
    });
    checkpoint(dataDir);
    const db = new Database(sqliteFileIn(dataDir), { readonly: true });
    const log = (db.prepare('SELECT data, stream FROM events').all() as { data: string; stream: string }[])
      .map((r) => r.data + r.stream)
      .join('\n');
    db.close();
    for (const s of [...Object.values(personal), personal.email.toLowerCase(), 'friend@example.test', ...texts]) {
      expect(log, s).not.to.contain(s);
    }
    expect((await runCli(['privacy', 'status'], env)).code).to.equal(0);
  });

  it('is idempotent: a second run rewrites nothing', async () => {
    const run = await runCli(['privacy', 'migrate'], env);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.include('resuming after position 9');
    expect(run.stderr).to.include('rewrote 0');
  });

  it('serves the old users as before, and then erases provably', async () => {
    const server = await startTestServer(env, { keepData: true });
    try {
      const api = client(server.url);
      const login = await api.post('/auth/login', { json: { username: 'old.victim', password: victim.password } });
      expect(login.status, JSON.stringify(login.body)).to.equal(200);
      const me = await api.get('/users/me', { token: login.body.access_token });
      expect(me.body).to.include({ email: personal.email, first_name: personal.first_name, phone: personal.newPhone });
      // The migrated claim still holds the address: nobody else can register it.
      const taken = await api.post('/users/create', {
        json: { username: 'someone.new', email: personal.email, password: 'correct horse' },
      });
      expect(taken.status).to.equal(409);
      const erased = await api.request('DELETE', '/users/me', {
        token: login.body.access_token,
        json: { password: victim.password },
      });
      expect(erased.status).to.equal(204);
    } finally {
      await server.close();
    }
    checkpoint(dataDir);
    expect(rawHits(dataDir, [...Object.values(personal), personal.email.toLowerCase(), ...texts])).to.deep.equal([]);
    const rebuilt = await runCli(['rebuild'], env);
    expect(rebuilt.code, rebuilt.stderr).to.equal(0);
    checkpoint(dataDir);
    expect(rawHits(dataDir, [...Object.values(personal), personal.email.toLowerCase(), ...texts])).to.deep.equal([]);
  });
});
