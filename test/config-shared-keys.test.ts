import { readdirSync, rmSync } from 'node:fs';
import { expect } from 'chai';
import { client, registerAndLogin } from './helpers/http';
import { startServerProcess, type ServerProcess } from './helpers/processes';
import { tempDataDir } from './helpers/server';

describe('two instances starting at once on a fresh DATA_DIR, with no keys configured', function () {
  this.timeout(60_000);
  const dataDir = tempDataDir();
  let instances: ServerProcess[] = [];

  after(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('both start, and both use the one SECRET_KEY and PRIVACY_KEY generated into it', async () => {
    // SECRET_KEY '' is unset: each would generate one. Started together, they race for the files.
    const env = { DATA_DIR: dataDir, SECRET_KEY: '' };
    instances = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    const [a, b] = instances.map((i) => client(i.url));
    const alice = await registerAndLogin(a);
    const bob = await registerAndLogin(a);
    // A token signed by one instance is accepted by the other: the same SECRET_KEY.
    expect((await b.get('/users/me', { token: alice.access_token })).status).to.equal(200);
    // A text encrypted by one instance reads back on the other: the same PRIVACY_KEY.
    const sent = await b.post('/messenger/messages', {
      token: alice.access_token,
      json: { to: bob.username, text: 'one key for both' },
    });
    expect(sent.status, JSON.stringify(sent.body)).to.equal(201);
    const inbox = await a.get('/messenger/inbox', { token: bob.access_token });
    expect(inbox.body.messages.map((m: { text: string }) => m.text)).to.deep.equal(['one key for both']);
    // No half-written or left-behind key files.
    expect(
      readdirSync(dataDir)
        .filter((f) => f.includes('key'))
        .sort(),
    ).to.deep.equal(['privacy_key', 'secret_key']);
  });
});
