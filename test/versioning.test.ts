import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { hashPassword } from '../src/auth/passwords';
import { CURRENT_SCHEMA_VERSION, upcast, UnknownEventError, type RawEvent } from '../src/events/upcasters';
import { sqliteFileIn } from '../src/store/sqlite';
import { client, registerAndLogin } from './helpers/http';
import { runCli, startServerProcess } from './helpers/processes';
import { tempDataDir } from './helpers/server';
import { readModelContents } from './helpers/sqlite-tables';
import { inboxTexts, pm } from './helpers/traffic';

/** UserRegistered data as release 0.1 wrote it (schema version 1): no username_key. */
const v1Registration = (userId: string, passwordHash: string) => ({
  user_id: userId,
  username: 'Émile.Old',
  email: 'Emile@Example.test',
  password_hash: passwordHash,
  first_name: 'Émile',
  last_name: null,
  phone: null,
  settings: { pm_policy: 'everyone', phone_public: false },
});

describe('event versioning: UserRegistered v1 → v2', () => {
  const raw = (data: Record<string, unknown>, schema_version: number): RawEvent => ({
    id: 'e1',
    position: 3,
    stream: 'user-u1',
    version: 1,
    type: 'UserRegistered',
    time: '2026-01-01T00:00:00.000Z',
    metadata: { correlation_id: 'c', causation_id: 'c' },
    data,
    schema_version,
  });

  it('is at version 2 now', () => {
    expect(CURRENT_SCHEMA_VERSION.UserRegistered).to.equal(2);
  });

  it('upcasts a v1 registration by adding the key its username was claimed under', () => {
    const event = upcast(raw(v1Registration('u1', 'hash'), 1));
    expect(event.schema_version).to.equal(2);
    expect(event.data).to.deep.equal({ ...v1Registration('u1', 'hash'), username_key: 'émile.old' });
  });

  it('folds compatibility forms (NFKC) the way v1 claims did', () => {
    const event = upcast(raw({ ...v1Registration('u1', 'hash'), username: 'Ｅmile' }, 1));
    expect(event.data).to.include({ username_key: 'emile' });
  });

  it('leaves a v2 registration alone and refuses a version it does not know', () => {
    const v2 = { ...v1Registration('u1', 'hash'), username_key: 'recorded-key' };
    expect(upcast(raw(v2, 2)).data).to.deep.equal(v2);
    expect(() => upcast(raw(v2, 3))).to.throw(
      UnknownEventError,
      'event at position 3 has unknown type or schema version: UserRegistered v3',
    );
  });
});

describe('a log written by an old release (raw v1 rows) replays through projections and deciders', function () {
  this.timeout(60_000);
  const userId = randomUUID();
  const password = 'old release password';
  let dataDir: string;

  before(async () => {
    dataDir = tempDataDir();
    // The CLI creates the schema, as any parley would on an empty DATA_DIR.
    expect((await runCli(['projections', 'status'], { DATA_DIR: dataDir })).code).to.equal(0);
    const db = new Database(sqliteFileIn(dataDir));
    const insert = db.prepare(
      'INSERT INTO events (position, id, stream, version, type, schema_version, time, data, metadata) VALUES (?, ?, ?, 1, ?, 1, ?, ?, ?)',
    );
    const metadata = JSON.stringify({ correlation_id: randomUUID(), causation_id: randomUUID() });
    const time = '2026-01-01T12:00:00.000Z';
    // Exactly the rows release 0.1 appended for one registration.
    insert.run(
      1,
      randomUUID(),
      'username-émile.old',
      'UsernameClaimed',
      time,
      JSON.stringify({ key: 'émile.old', user_id: userId }),
      metadata,
    );
    insert.run(
      2,
      randomUUID(),
      'email-emile@example.test',
      'EmailClaimed',
      time,
      JSON.stringify({ key: 'emile@example.test', user_id: userId }),
      metadata,
    );
    insert.run(
      3,
      randomUUID(),
      `user-${userId}`,
      'UserRegistered',
      time,
      JSON.stringify(v1Registration(userId, await hashPassword(password))),
      metadata,
    );
    db.close();
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves the old user, lets them log in, change their profile and receive messages; their name stays taken', async () => {
    const server = await startServerProcess({ DATA_DIR: dataDir });
    try {
      const api = client(server.url);
      // Projections: the users read model was built from the upcast event.
      const profile = await api.get(`/users/${encodeURIComponent('ÉMILE.OLD')}`);
      expect(profile.status, JSON.stringify(profile.body)).to.equal(200);
      expect(profile.body).to.include({ username: 'Émile.Old', first_name: 'Émile' });
      const found = await api.get(`/users?search=${encodeURIComponent('émi')}`);
      expect(found.body.users.map((u: { username: string }) => u.username)).to.deep.equal(['Émile.Old']);

      // Deciders: logging in and changing the profile fold the v1 event into the user.
      const login = await api.post('/auth/login', { json: { username: 'émile.old', password } });
      expect(login.status, JSON.stringify(login.body)).to.equal(200);
      const emile = {
        user_id: userId,
        username: 'Émile.Old',
        password,
        access_token: login.body.access_token,
        refresh_token: login.body.refresh_token,
      };
      const updated = await api.post('/users/update', { token: emile.access_token, json: { last_name: 'Zola' } });
      expect(updated.status, JSON.stringify(updated.body)).to.equal(200);
      expect(updated.body).to.include({ first_name: 'Émile', last_name: 'Zola', email: 'Emile@Example.test' });

      const taken = await api.post('/users/create', {
        json: { username: 'ÉMILE.old', email: 'someone@example.test', password: 'correct horse' },
      });
      expect(taken.status).to.equal(409);
      expect(taken.body.error.code).to.equal('username_taken');

      const bob = await registerAndLogin(api);
      await pm(api, bob, emile, 'hello from the new release');
      expect(await inboxTexts(api, emile)).to.deep.equal(['hello from the new release']);
    } finally {
      await server.stop();
    }

    // The log itself is never rewritten: the old row is still version 1...
    const db = new Database(sqliteFileIn(dataDir), { readonly: true });
    const row = db.prepare('SELECT schema_version, data FROM events WHERE position = 3').get() as {
      schema_version: number;
      data: string;
    };
    db.close();
    expect(row.schema_version).to.equal(1);
    expect(JSON.parse(row.data)).not.to.have.property('username_key');
  });

  it('rebuilds to the same read models, and exports the event in its current shape', async () => {
    const before = readModelContents(dataDir);
    expect((await runCli(['rebuild'], { DATA_DIR: dataDir })).code).to.equal(0);
    expect(readModelContents(dataDir)).to.deep.equal(before);

    const file = path.join(dataDir, 'export.ndjson');
    expect((await runCli(['events', 'export'], { DATA_DIR: dataDir }, { stdoutFile: file })).code).to.equal(0);
    const events = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(events[2]).to.deep.include({ type: 'UserRegistered', schema_version: 2 });
    expect(events[2].data.username_key).to.equal('émile.old');
  });

  it('imports a v1 line as it is, to be upcast when read', async () => {
    const file = path.join(dataDir, 'v1.ndjson');
    const line = {
      position: 1,
      id: randomUUID(),
      stream: `user-${userId}`,
      version: 1,
      type: 'UserRegistered',
      schema_version: 1,
      time: '2026-01-01T12:00:00.000Z',
      data: v1Registration(userId, 'hash'),
      metadata: { correlation_id: 'c', causation_id: 'c' },
    };
    writeFileSync(file, `${JSON.stringify(line)}\n`);
    const target = tempDataDir();
    try {
      const run = await runCli(['events', 'import'], { DATA_DIR: target }, { stdinFile: file });
      expect(run.code, run.stderr).to.equal(0);
      const db = new Database(sqliteFileIn(target), { readonly: true });
      const row = db.prepare('SELECT schema_version, data FROM events WHERE position = 1').get() as {
        schema_version: number;
        data: string;
      };
      db.close();
      expect(row.schema_version).to.equal(1);
      expect(JSON.parse(row.data)).to.deep.equal(line.data);
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });
});
