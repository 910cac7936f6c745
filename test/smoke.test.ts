import { expect } from 'chai';
import { client, registerAndLogin } from './helpers/http';
import { startTestServer, type TestServer } from './helpers/server';

describe('smoke: a user registers, logs in and sends a private message', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  it('delivers the message to the recipient inbox', async () => {
    const api = client(server.url);
    const alice = await registerAndLogin(api);
    const bob = await registerAndLogin(api);
    const sent = await api.post('/messenger/messages', {
      token: alice.access_token,
      json: { text: `/pm ${bob.username.toUpperCase()} hi there` },
    });
    expect(sent.status).to.equal(201);
    expect(sent.body).to.include({ type: 'pm', from: alice.username, to: bob.username, text: 'hi there' });
    const inbox = await api.get('/messenger/inbox', { token: bob.access_token });
    expect(inbox.body.messages.map((m: { id: string }) => m.id)).to.deep.equal([sent.body.id]);
  });
});
