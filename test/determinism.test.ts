import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { expectStatus } from './helpers/assert';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { fileForm, gif, png } from './helpers/images';
import { runCli, startServerProcess } from './helpers/processes';
import { tempDataDir } from './helpers/server';
import { readModelContents, tableNames } from './helpers/sqlite-tables';
import { pm } from './helpers/traffic';

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
  for (let i = 0; i < 25; i++) await pm(api, pick([alice, carol]), bob, `to bob ${i}`);
  for (let i = 0; i < 30; i++) {
    const from = pick(active);
    const to = pick(users.filter((u) => u !== from && u !== frank && u !== dave));
    if (random() < 0.5) await pm(api, from, to, `pm ${i} ${'x'.repeat(Math.floor(random() * 50))}`);
    else
      expectStatus(
        await api.post('/messenger/messages', { token: from.access_token, json: { text: `chat ${i}` } }),
        201,
      );
  }
  expectStatus(
    await api.post('/messenger/messages', { token: alice.access_token, json: { text: `/pm ${frank.username} hi` } }),
    403,
  );
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

    const run = await runCli(['rebuild'], { DATA_DIR: dataDir });
    expect(run.code, run.stderr).to.equal(0);
    const rebuilt = readModelContents(dataDir);
    expect(Object.keys(rebuilt)).to.deep.equal(Object.keys(incremental));
    for (const table of Object.keys(incremental)) expect(rebuilt[table], table).to.deep.equal(incremental[table]);
  });
});
