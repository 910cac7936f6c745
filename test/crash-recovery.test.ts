import { rmSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { openSqliteEngine } from '../src/store/sqlite';
import { freePort, killChild, startChild, type ChildServer } from './helpers/child';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { tempDataDir } from './helpers/server';
import { connectWithHistory, type ChatClient, type Frame } from './helpers/ws';

/** Frames each sender bursts: within the chat socket's burst allowance (40), so none is refused for speed. */
const BURST = 40;

/** Every private message between two users, oldest first, read page by page. */
async function wholeConversation(api: Client, token: string, other: string): Promise<{ id: string; text: string }[]> {
  const all: { id: string; text: string }[] = [];
  let before: string | undefined;
  for (;;) {
    const reply = await api.get(`/messenger/conversations/${other}?limit=100${before ? `&before=${before}` : ''}`, {
      token,
    });
    expect(reply.status, JSON.stringify(reply.body)).to.equal(200);
    all.push(...reply.body.messages);
    if (reply.body.messages.length < 100) return all.reverse();
    before = reply.body.messages[reply.body.messages.length - 1].id;
  }
}

const countBy = <T>(items: T[]): Map<T, number> => {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
};

describe('crash safety: kill -9 during a burst of WebSocket private messages', function () {
  this.timeout(60_000);
  const dataDir = tempDataDir();
  let port: number;
  let child: ChildServer | undefined;
  after(async () => {
    await killChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every message it acknowledged or delivered, exactly once, and a resend with the same refs adds nothing', async () => {
    port = await freePort();
    child = await startChild(dataDir, port);
    let api = client(child.url);
    const bob = await registerAndLogin(api, 'bob');
    const senders: TestUser[] = [];
    for (const name of ['alice', 'carol', 'dave']) senders.push(await registerAndLogin(api, name));

    // What the server confirmed before it died: an ack (ref → id) to the sender, or a pm frame to either side.
    const acked = new Map<string, string>();
    const delivered = new Set<string>();
    const record = (frame: Frame, sender?: TestUser) => {
      if (frame.type === 'ack') acked.set(`${sender!.username}:${frame.ref}`, frame.id);
      if (frame.type === 'pm') delivered.add(frame.id);
    };
    const bobSocket = (await connectWithHistory(child.url, bob.access_token)).client;
    bobSocket.ws.on('message', (data) => record(JSON.parse(data.toString())));
    const sockets: ChatClient[] = [];
    for (const sender of senders) {
      const socket = (await connectWithHistory(child.url, sender.access_token)).client;
      socket.ws.on('message', (data) => record(JSON.parse(data.toString()), sender));
      sockets.push(socket);
    }

    // The burst: every sender sends all its frames at once; the server dies once the tenth ack is in.
    const tenthAck = new Promise<void>((resolve) => {
      for (const socket of sockets)
        socket.ws.on('message', () => {
          if (acked.size >= 10) resolve();
        });
    });
    senders.forEach((sender, s) => {
      for (let i = 1; i <= BURST; i++)
        sockets[s].send({ type: 'pm', to: 'bob', text: `${sender.username} #${i}`, ref: `r${i}` });
    });
    await tenthAck;
    child.process.kill('SIGKILL');
    const { signal } = await child.exited;
    expect(signal).to.equal('SIGKILL');
    // Frames already in the client's buffers when the process died were confirmed too.
    await Promise.all([bobSocket, ...sockets].map((s) => s.closed));
    expect(acked.size, 'killed mid-burst: some acks came, not all').to.be.within(10, BURST * senders.length - 1);
    const confirmed = new Set([...acked.values(), ...delivered]);
    if (process.env.CRASH_REPORT)
      console.log(
        `acked ${acked.size}, delivered ${delivered.size}, confirmed ${new Set([...acked.values(), ...delivered]).size}`,
      );

    // Restart on the same data.
    child = await startChild(dataDir, port);
    api = client(child.url);
    const relog = async (user: TestUser) => ({
      ...user,
      ...(await api.post('/auth/login', { json: { username: user.username, password: user.password } })).body,
    });
    const bobAgain = await relog(bob);
    const conversations = new Map<string, { id: string; text: string }[]>();
    for (const sender of senders)
      conversations.set(sender.username, await wholeConversation(api, bobAgain.access_token, sender.username));

    const stored = [...conversations.values()].flat();
    if (process.env.CRASH_REPORT)
      console.log(`stored after restart: ${stored.length} of ${BURST * senders.length} sent`);
    const storedCounts = countBy(stored.map((m) => m.id));
    for (const id of confirmed) expect(storedCounts.get(id), `confirmed message ${id}`).to.equal(1);
    for (const [id, n] of storedCounts) expect(n, `message ${id} stored once`).to.equal(1);
    // Sends are in order per socket: what was stored is a prefix of each sender's burst, without gaps.
    for (const sender of senders) {
      const texts = conversations.get(sender.username)!.map((m) => m.text);
      expect(texts).to.deep.equal(texts.map((_, i) => `${sender.username} #${i + 1}`));
    }
    const inbox = await api.get('/messenger/inbox', { token: bobAgain.access_token });
    const inboxIds = inbox.body.messages.map((m: { id: string }) => m.id);
    expect(new Set(inboxIds).size).to.equal(inboxIds.length);
    expect(inboxIds.length).to.equal(Math.min(50, stored.length));
    for (const id of inboxIds) expect(storedCounts.get(id)).to.equal(1);

    // Every sender resends its whole burst with the same refs, as a client that lost its acks would.
    for (const sender of senders) {
      const again = await relog(sender);
      const { client: socket } = await connectWithHistory(child.url, again.access_token);
      for (let i = 1; i <= BURST; i++)
        socket.send({ type: 'pm', to: 'bob', text: `${sender.username} #${i}`, ref: `r${i}` });
      for (let i = 1; i <= BURST; i++) {
        const ack = await socket.next(
          (f) => (f.type === 'ack' || f.type === 'error') && f.ref === `r${i}`,
          `the answer to r${i}`,
        );
        expect(ack.type, JSON.stringify(ack)).to.equal('ack');
        const before = acked.get(`${sender.username}:r${i}`);
        if (before) expect(ack.id, 'a resend lands on the stored message').to.equal(before);
      }
      await socket.close();
    }
    for (const sender of senders) {
      const all = await wholeConversation(api, bobAgain.access_token, sender.username);
      expect(all.map((m) => m.text)).to.deep.equal(
        Array.from({ length: BURST }, (_, i) => `${sender.username} #${i + 1}`),
      );
    }

    // And the log itself holds each message once.
    child.process.kill('SIGTERM');
    expect((await child.exited).code).to.equal(0);
    const engine = openSqliteEngine({ file: path.join(dataDir, 'parley.db') });
    try {
      const events = await engine.events.readAll(0, 100_000);
      const sent = events.filter((e) => e.type === 'MessageSent');
      expect(sent.length).to.equal(BURST * senders.length);
      const ids = countBy(sent.map((e) => e.data.message_id));
      expect([...ids.values()].every((n) => n === 1)).to.equal(true);
      for (const id of confirmed) expect(ids.get(id), `confirmed message ${id} in the log`).to.equal(1);
    } finally {
      await engine.close();
    }
  });
});
