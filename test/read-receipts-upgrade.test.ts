import { expect } from 'chai';
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { sqliteFileIn } from '../src/store/sqlite';
import { expectStatus } from './helpers/assert';
import { client, registerAndLogin } from './helpers/http';
import { startServerProcess } from './helpers/processes';
import { tempDataDir } from './helpers/server';

describe('upgrade: a database from before the read_receipts setting', function () {
  this.timeout(60_000);
  let dataDir: string;
  before(() => {
    dataDir = tempDataDir();
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('gains the column on start-up, with receipts on for everyone, and takes the setting from then on', async () => {
    let server = await startServerProcess({ DATA_DIR: dataDir });
    const alice = await registerAndLogin(client(server.url));
    await server.stop();
    // What the previous release left: rm_users without the column.
    const db = new Database(sqliteFileIn(dataDir));
    db.exec('ALTER TABLE rm_users DROP COLUMN read_receipts');
    db.close();

    server = await startServerProcess({ DATA_DIR: dataDir });
    try {
      const api = client(server.url);
      const me = await api.get('/users/me', { token: alice.access_token });
      expectStatus(me, 200);
      expect(me.body.settings).to.deep.equal({ pm_policy: 'everyone', phone_public: false, read_receipts: true });
      const off = await api.post('/users/update', {
        token: alice.access_token,
        json: { settings: { read_receipts: false } },
      });
      expectStatus(off, 200);
      expect(off.body.settings.read_receipts).to.equal(false);
    } finally {
      await server.stop();
    }
  });
});
