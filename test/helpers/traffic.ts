import { expect } from 'chai';
import { client, registerAndLogin, type Client, type TestUser } from './http';
import { startServerProcess } from './processes';
import { tempDataDir } from './server';

export async function pm(api: Client, from: TestUser, to: TestUser, text: string): Promise<void> {
  const sent = await api.post('/messenger/messages', {
    token: from.access_token,
    json: { text: `/pm ${to.username} ${text}` },
  });
  expect(sent.status, JSON.stringify(sent.body)).to.equal(201);
}

export async function inboxTexts(api: Client, user: TestUser): Promise<string[]> {
  const inbox = await api.get('/messenger/inbox', { token: user.access_token });
  expect(inbox.status).to.equal(200);
  return inbox.body.messages.map((m: { text: string }) => m.text);
}

/** A DATA_DIR with a little traffic in it, built by a server that is stopped again. */
export async function dataDirWithTraffic(): Promise<{ dataDir: string; alice: TestUser; bob: TestUser }> {
  const dataDir = tempDataDir();
  const server = await startServerProcess({ DATA_DIR: dataDir });
  const api = client(server.url);
  const alice = await registerAndLogin(api);
  const bob = await registerAndLogin(api);
  await pm(api, alice, bob, 'one');
  await pm(api, bob, alice, 'two');
  await api.post('/messenger/messages', { token: alice.access_token, json: { text: 'hello everyone' } });
  await server.stop();
  return { dataDir, alice, bob };
}
