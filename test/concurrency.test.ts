import { expect } from 'chai';
import type { StoredEvent } from '../src/events';
import { protectionOf } from '../src/privacy';
import { expectStatus } from './helpers/assert';
import { registerAndLogin, uniqueName, type Reply } from './helpers/http';
import { useServer } from './helpers/suite';

const PARALLEL = 10;

describe('concurrency', () => {
  const fixture = useServer();

  const allEvents = async (): Promise<StoredEvent[]> => fixture.server.parley.engine.events.readAll(0, 1_000_000);
  /** Claims go by a keyed hash of the address (docs/privacy.md). */
  const claimKey = (emailKey: string) => protectionOf(fixture.server.parley.engine)!.claims.hashedKey(emailKey);
  const statuses = (replies: Reply[]) => replies.map((r) => r.status).sort();
  const expectOneWinner = (replies: Reply[], code: string) => {
    expect(statuses(replies)).to.deep.equal([201, ...Array<number>(PARALLEL - 1).fill(409)]);
    for (const loser of replies.filter((r) => r.status === 409)) expect(loser.body.error.code).to.equal(code);
  };

  it(`${PARALLEL} parallel registrations of one username: one 201, the rest 409, one claim in the log`, async () => {
    const username = uniqueName('race');
    const replies = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        fixture.api.post('/users/create', {
          // Different spellings of the same name race too.
          json: {
            username: i % 2 ? username : username.toUpperCase(),
            email: `${username}-${i}@example.test`,
            password: 'correct horse',
          },
        }),
      ),
    );
    expectOneWinner(replies, 'username_taken');

    const events = await allEvents();
    expect(events.filter((e) => e.type === 'UsernameClaimed' && e.data.key === username.toLowerCase())).to.have.length(
      1,
    );
    expect(
      events.filter((e) => e.type === 'UserRegistered' && e.data.username.toLowerCase() === username.toLowerCase()),
    ).to.have.length(1);
    // The losers claimed no email either: each of their addresses is still free.
    const winner = replies.find((r) => r.status === 201)!.body;
    expect(events.filter((e) => e.type === 'EmailClaimed' && e.data.user_id === winner.user_id)).to.have.length(1);
    const addresses = new Set(
      Array.from({ length: PARALLEL }, (_, i) => claimKey(`${username}-${i}@example.test`.toLowerCase())),
    );
    expect(events.filter((e) => e.type === 'EmailClaimed' && addresses.has(e.data.key))).to.have.length(1);
  });

  it(`${PARALLEL} parallel registrations of one email: one 201, the rest 409, one claim in the log`, async () => {
    const email = `${uniqueName('shared')}@Example.test`;
    const replies = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        fixture.api.post('/users/create', {
          json: { username: uniqueName('mail'), email: i % 2 ? email : email.toLowerCase(), password: 'correct horse' },
        }),
      ),
    );
    expectOneWinner(replies, 'email_taken');
    const events = await allEvents();
    expect(
      events.filter((e) => e.type === 'EmailClaimed' && e.data.key === claimKey(email.toLowerCase())),
    ).to.have.length(1);
    const winner = replies.find((r) => r.status === 201)!.body;
    expect(
      events
        .filter((e) => e.type === 'UserRegistered' && e.data.email.toLowerCase() === email.toLowerCase())
        .map((e) => e.data.user_id),
    ).to.deep.equal([winner.user_id]);
  });

  it('two users changing their email to the same new address at once: one 200, one 409', async () => {
    const users = await Promise.all([registerAndLogin(fixture.api), registerAndLogin(fixture.api)]);
    const email = `${uniqueName('wanted')}@example.test`;
    const replies = await Promise.all(
      users.map((u) => fixture.api.post('/users/update', { token: u.access_token, json: { email } })),
    );
    expect(replies.map((r) => r.status).sort()).to.deep.equal([200, 409]);
    const events = await allEvents();
    expect(events.filter((e) => e.type === 'EmailClaimed' && e.data.key === claimKey(email))).to.have.length(1);
    // The loser kept its old address.
    const loser = users[replies.findIndex((r) => r.status === 409)];
    expect((await fixture.api.get('/users/me', { token: loser.access_token })).body.email).to.equal(
      `${loser.username}@example.test`,
    );
  });

  it(`${PARALLEL} parallel sends with one ref store one message`, async () => {
    const alice = await registerAndLogin(fixture.api);
    const bob = await registerAndLogin(fixture.api);
    const replies = await Promise.all(
      Array.from({ length: PARALLEL }, () =>
        fixture.api.post('/messenger/messages', {
          token: alice.access_token,
          json: { to: bob.username, text: 'sent once', ref: 'same-ref' },
        }),
      ),
    );
    for (const reply of replies) expectStatus(reply, 201);
    expect(new Set(replies.map((r) => r.body.id)).size).to.equal(1);
    expect(
      (await allEvents()).filter((e) => e.type === 'MessageSent' && e.data.from_id === alice.user_id),
    ).to.have.length(1);
    expect((await fixture.api.get('/messenger/inbox', { token: bob.access_token })).body.messages).to.have.length(1);
  });

  it('parallel refreshes with one refresh token: at most one wins, and the session ends', async () => {
    const alice = await registerAndLogin(fixture.api);
    const replies = await Promise.all(
      Array.from({ length: PARALLEL }, () =>
        fixture.api.post('/auth/refresh', { json: { refresh_token: alice.refresh_token } }),
      ),
    );
    const won = replies.filter((r) => r.status === 200);
    expect(won.length).to.be.at.most(1);
    expect(replies.filter((r) => r.status === 401)).to.have.length(PARALLEL - won.length);
    // The same token was presented again after it was spent: reuse, so no token of the session works any more.
    for (const reply of won)
      expect((await fixture.api.get('/users/me', { token: reply.body.access_token })).status).to.equal(401);
    expect((await fixture.api.get('/users/me', { token: alice.access_token })).status).to.equal(401);
  });
});
