import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { expectStatus } from './helpers/assert';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { fileForm, gif, png } from './helpers/images';
import { runCli, startServerProcess } from './helpers/processes';
import { tempDataDir } from './helpers/server';
import { readModelContents, tableNames } from './helpers/sqlite-tables';

/** A seeded generator: the traffic is varied but the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a * 1103515245 + 12345) % 2 ** 31;
    return a / 2 ** 31;
  };
}

/** Every kind of write the API offers, mixed: what the read models must agree on afterwards. */
async function generateTraffic(api: Client): Promise<void> {
  const random = seeded(42);
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
  const users: TestUser[] = [];
  for (let i = 0; i < 6; i++) users.push(await registerAndLogin(api));
  const [alice, bob, carol, dave, erin, frank] = users as [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser];

  // Profiles, settings (one stops accepting PMs), an email change, pictures.
  expectStatus(
    await api.post('/users/update', {
      token: alice.access_token,
      json: { first_name: 'Alice', last_name: 'Liddell', phone: '+44 20 7946 0000' },
    }),
    200,
  );
  expectStatus(
    await api.post('/users/update', {
      token: bob.access_token,
      json: { email: `bob.new.${bob.username}@example.test`, settings: { phone_public: true } },
    }),
    200,
  );
  expectStatus(
    await api.post('/users/update', { token: frank.access_token, json: { settings: { pm_policy: 'nobody' } } }),
    200,
  );
  expectStatus(
    await api.patch('/users/add_picture', {
      token: carol.access_token,
      body: fileForm(png([1, 2, 3]), 'c.png', 'image/png'),
    }),
    200,
  );
  expectStatus(
    await api.patch('/users/add_picture', { token: carol.access_token, body: fileForm(gif(), 'c.gif', 'image/gif') }),
    200,
  );

  // Sessions: a second login, refreshes, a reused refresh token (ends that session), a logout.
  const second = await api.post('/auth/login', { json: { username: dave.username, password: dave.password } });
  expectStatus(second, 200);
  const refreshed = await api.post('/auth/refresh', { json: { refresh_token: dave.refresh_token } });
  expectStatus(refreshed, 200);
  expectStatus(await api.post('/auth/refresh', { json: { refresh_token: dave.refresh_token } }), 401);
  expectStatus(await api.post('/auth/logout', { token: second.body.access_token }), 204);
  // A password change ends the user's other sessions.
  const erinElsewhere = await api.post('/auth/login', { json: { username: erin.username, password: erin.password } });
  expectStatus(erinElsewhere, 200);
  expectStatus(
    await api.post('/users/update', {
      token: erin.access_token,
      json: { current_password: erin.password, new_password: 'another horse battery' },
    }),
    200,
  );

  // More than an inbox keeps (20), conversations between several pairs, a refused PM, chat with a resent ref.
  const active = [alice, bob, carol, erin];
  const sent: { id: string; from: TestUser }[] = [];
  const send = async (from: TestUser, json: object) => {
    const reply = await api.post('/messenger/messages', { token: from.access_token, json });
    expectStatus(reply, 201);
    sent.push({ id: reply.body.id, from });
  };
  for (let i = 0; i < 25; i++) await send(pick([alice, carol]), { to: bob.username, text: `to bob ${i}` });
  for (let i = 0; i < 30; i++) {
    const from = pick(active);
    const to = pick(users.filter((u) => u !== from && u !== frank && u !== dave));
    if (random() < 0.5) await send(from, { to: to.username, text: `pm ${i} ${'x'.repeat(Math.floor(random() * 50))}` });
    else await send(from, { text: `chat ${i}` });
  }
  // Edits and deletes: of a PM bob's inbox no longer holds (the first), of recent ones, twice, and of chat lines.
  const change = (m: { id: string; from: TestUser }, text?: string) =>
    text === undefined
      ? api.request('DELETE', `/messenger/messages/${m.id}`, { token: m.from.access_token })
      : api.patch(`/messenger/messages/${m.id}`, { token: m.from.access_token, json: { text } });
  for (const [i, m] of sent.entries()) {
    if (i === 0 || random() < 0.2) expectStatus(await change(m, `edited ${i}`), 200);
    if (random() < 0.2) expectStatus(await change(m, `edited again ${i}`), 200);
    if (random() < 0.15) expectStatus(await change(m), 204);
  }
  expectStatus(
    await api.post('/messenger/messages', { token: alice.access_token, json: { text: `/pm ${frank.username} hi` } }),
    403,
  );
  // Blocks: some kept, one undone, one repeated, and a PM the block refuses.
  for (const target of [dave, carol, dave]) {
    expectStatus(
      await api.post('/users/blocks', { token: alice.access_token, json: { username: target.username } }),
      204,
    );
  }
  expectStatus(await api.request('DELETE', `/users/blocks/${carol.username}`, { token: alice.access_token }), 204);
  expectStatus(await api.post('/users/blocks', { token: erin.access_token, json: { username: alice.username } }), 204);
  expectStatus(
    await api.post('/messenger/messages', { token: alice.access_token, json: { to: erin.username, text: 'hi' } }),
    403,
  );
  // Reads (one with receipts off, one older than the marker), so the conversation list has markers.
  expectStatus(
    await api.post('/users/update', { token: bob.access_token, json: { settings: { read_receipts: false } } }),
    200,
  );
  for (const reader of [bob, alice]) {
    const [entry] = (await api.get('/messenger/conversations', { token: reader.access_token })).body.conversations;
    const read = (upTo: string) =>
      api.post(`/messenger/conversations/${entry.with}/read`, { token: reader.access_token, json: { up_to: upTo } });
    const history = await api.get(`/messenger/conversations/${entry.with}?limit=5`, { token: reader.access_token });
    const messages = history.body.messages;
    expectStatus(await read(messages[0].id), 204);
    expectStatus(await read(messages[messages.length - 1].id), 204);
  }
  for (let i = 0; i < 2; i++) {
    const sent = await api.post('/messenger/messages', {
      token: carol.access_token,
      json: { text: 'said once', ref: 'carol-1' },
    });
    expect(sent.status).to.be.oneOf([200, 201]);
  }
}

describe('determinism: read models rebuilt from scratch equal the ones built incrementally', function () {
  this.timeout(120_000);
  let dataDir: string;
  before(() => {
    dataDir = tempDataDir();
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('gives identical tables, row for row, for every read model', async () => {
    const server = await startServerProcess({ DATA_DIR: dataDir });
    try {
      await generateTraffic(client(server.url));
    } finally {
      await server.stop();
    }
    const incremental = readModelContents(dataDir);
    // The traffic reached every table (a comparison of empty tables would prove nothing).
    for (const table of tableNames(dataDir)) expect(incremental[table], table).to.not.be.empty;
    expect(incremental.rm_inbox.length).to.be.greaterThan(20);
    // ... and edits and deletes reached every message table.
    for (const table of ['rm_inbox', 'rm_conversations', 'rm_chat']) {
      const rows = incremental[table] as { edited_at: string | null; deleted: number }[];
      expect(
        rows.some((r) => r.edited_at !== null && r.deleted === 0),
        `${table}: an edited row`,
      ).to.equal(true);
      expect(
        rows.some((r) => r.deleted === 1),
        `${table}: a tombstone`,
      ).to.equal(true);
    }

    const run = await runCli(['rebuild'], { DATA_DIR: dataDir });
    expect(run.code, run.stderr).to.equal(0);
    const rebuilt = readModelContents(dataDir);
    expect(Object.keys(rebuilt)).to.deep.equal(Object.keys(incremental));
    for (const table of Object.keys(incremental)) expect(rebuilt[table], table).to.deep.equal(incremental[table]);
  });
});
