import { expect } from 'chai';
import type { StoredEvent } from '../src/events';
import { PROJECTIONS } from '../src/projections';
import type { ReadModelStore } from '../src/store/read-models';
import { openSqliteEngine } from '../src/store/sqlite';
import type { Engine } from '../src/store/ports';
import { expectStatus } from './helpers/assert';
import { registerAndLogin, type Client, type TestUser } from './helpers/http';
import { png } from './helpers/images';
import { fileForm } from './helpers/images';
import { useServer } from './helpers/suite';

/**
 * Everything the read models answer, asked through the port for every user, session and pair the
 * log mentions: so two read models compare equal exactly when they would answer every query alike.
 */
async function snapshot(readModels: ReadModelStore, events: StoredEvent[]) {
  const users = [...new Set(events.flatMap((e) => (e.type === 'UserRegistered' ? [e.data.user_id] : [])))];
  const sessions = [...new Set(events.flatMap((e) => (e.type === 'SessionStarted' ? [e.data.session_id] : [])))];
  const pairs = [
    ...new Set(
      events.flatMap((e) => (e.type === 'MessageSent' ? [[e.data.from_id, e.data.to_id].sort().join(' ')] : [])),
    ),
  ];
  const all = { limit: 1_000_000 };
  return {
    users: await Promise.all(
      users.map(async (id) => {
        const row = await readModels.userById(id);
        return { row, byKey: row && (await readModels.userByKey(row.username_key)) };
      }),
    ),
    search: await readModels.searchUsers('', 1000),
    sessions: await Promise.all(sessions.map((id) => readModels.session(id))),
    activeSessions: await Promise.all(users.map((id) => readModels.activeSessionIds(id).then((ids) => ids.sort()))),
    inboxes: await Promise.all(users.map((id) => readModels.inbox(id, 1000))),
    conversations: await Promise.all(
      pairs.map((pair) => readModels.conversation(pair.split(' ')[0], pair.split(' ')[1], all)),
    ),
    chat: await readModels.chat(all),
  };
}

/** Feeds every event to every projection; `times` applications of each event, checkpoint moved on the first. */
async function replay(engine: Engine, events: StoredEvent[], times: number): Promise<void> {
  for (const event of events) {
    for (const projection of PROJECTIONS) {
      const ops = projection.project(event);
      const at = await engine.readModels.checkpoint(projection.name);
      await engine.readModels.apply(projection.name, ops, at, Math.max(at, event.position));
      for (let i = 1; i < times; i++)
        await engine.readModels.apply(projection.name, ops, event.position, event.position);
    }
  }
}

describe('projections', () => {
  const fixture = useServer();
  let api: Client;
  let events: StoredEvent[];

  /** A bit of everything that changes a read model. */
  before(async () => {
    api = fixture.api;
    const users: TestUser[] = [];
    for (let i = 0; i < 4; i++) users.push(await registerAndLogin(api));
    const [alice, bob, carol, dave] = users as [TestUser, TestUser, TestUser, TestUser];
    expectStatus(
      await api.post('/users/update', {
        token: alice.access_token,
        json: { first_name: 'Alice', phone: '1', settings: { phone_public: true } },
      }),
      200,
    );
    expectStatus(
      await api.post('/users/update', {
        token: alice.access_token,
        json: { email: 'alice-new@example.test', last_name: 'L' },
      }),
      200,
    );
    expectStatus(
      await api.post('/users/update', { token: bob.access_token, json: { settings: { pm_policy: 'nobody' } } }),
      200,
    );
    expectStatus(
      await api.patch('/users/add_picture', { token: carol.access_token, body: fileForm(png(), 'c.png', 'image/png') }),
      200,
    );
    for (let i = 0; i < 23; i++)
      expectStatus(
        await api.post('/messenger/messages', {
          token: i % 2 ? alice.access_token : dave.access_token,
          json: { to: carol.username, text: `m${i}` },
        }),
        201,
      );
    expectStatus(
      await api.post('/messenger/messages', {
        token: carol.access_token,
        json: { text: `/pm ${dave.username} back at you` },
      }),
      201,
    );
    for (let i = 0; i < 3; i++)
      expectStatus(
        await api.post('/messenger/messages', { token: bob.access_token, json: { text: `chat ${i}` } }),
        201,
      );
    const rotated = await api.post('/auth/refresh', { json: { refresh_token: dave.refresh_token } });
    expectStatus(rotated, 200);
    expect((await api.post('/auth/refresh', { json: { refresh_token: dave.refresh_token } })).status).to.equal(401);
    expect((await api.post('/auth/logout', { token: bob.access_token })).status).to.equal(204);
    await api.post('/auth/login', { json: { username: alice.username, password: alice.password } });
    expectStatus(
      await api.post('/users/update', {
        token: alice.access_token,
        json: { current_password: alice.password, new_password: 'another horse' },
      }),
      200,
    );
    events = await fixture.server.parley.engine.events.readAll(0, 1_000_000);
  });

  it('replaying the log twice into a fresh read model gives what the live one has', async () => {
    const live = await snapshot(fixture.server.parley.engine.readModels, events);
    const fresh = openSqliteEngine({ file: ':memory:' });
    try {
      await replay(fresh, events, 1);
      const once = await snapshot(fresh.readModels, events);
      expect(once).to.deep.equal(live);

      // The whole log a second time, over the result of the first.
      for (const event of events) {
        for (const projection of PROJECTIONS) {
          await fresh.readModels.apply(
            projection.name,
            projection.project(event),
            events.at(-1)!.position,
            events.at(-1)!.position,
          );
        }
      }
      expect(await snapshot(fresh.readModels, events)).to.deep.equal(live);
    } finally {
      await fresh.close();
    }
  });

  it('applying each event twice in a row changes nothing', async () => {
    const live = await snapshot(fixture.server.parley.engine.readModels, events);
    const fresh = openSqliteEngine({ file: ':memory:' });
    try {
      await replay(fresh, events, 2);
      expect(await snapshot(fresh.readModels, events)).to.deep.equal(live);
    } finally {
      await fresh.close();
    }
  });

  it('the snapshot sees what the scenario did (so the comparisons above compare something)', async () => {
    const live = await snapshot(fixture.server.parley.engine.readModels, events);
    expect(live.users).to.have.length(4);
    expect(live.inboxes.map((inbox) => inbox.length).sort((a, b) => a - b)).to.deep.equal([0, 0, 1, 20]);
    expect(live.chat).to.have.length(3);
    expect(
      live.sessions
        .filter((s) => s?.revoked)
        .map((s) => s!.revoked)
        .sort(),
    ).to.deep.equal(['logout', 'password_changed', 'refresh_token_reuse']);
    expect(live.users.filter((u) => u.row?.picture)).to.have.length(1);
  });

  it('a projection reset rebuilds the same read model from the log at start-up', async () => {
    const before = await snapshot(fixture.server.parley.engine.readModels, events);
    const { projector, engine } = fixture.server.parley;
    await projector.stop();
    for (const projection of PROJECTIONS) await engine.readModels.reset(projection.name);
    expect((await snapshot(engine.readModels, events)).users.every((u) => u.row === null)).to.equal(true);
    const { ProjectionRunner } = await import('../src/projections/runner');
    const rebuilt = new ProjectionRunner(engine, PROJECTIONS, fixture.server.parley.log);
    await rebuilt.start();
    try {
      expect(await snapshot(engine.readModels, events)).to.deep.equal(before);
    } finally {
      await rebuilt.stop();
    }
  });
});
