import { expect } from 'chai';
import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { connect, connectWithHistory, TEST_LIMITS, type ChatClient } from './helpers/ws';

describe('chat socket: limits and lifecycle', () => {
  describe('limits', () => {
    let server: TestServer;
    let api: Client;
    let alice: TestUser;
    let bob: TestUser;
    const open: ChatClient[] = [];

    before(async () => {
      // A fast heartbeat and a small send buffer, so dead and slow peers show up quickly.
      server = await startTestServer(TEST_LIMITS, { chat: { heartbeatMs: 100, maxBufferedBytes: 64 * 1024 } });
      api = client(server.url);
      alice = await registerAndLogin(api);
      bob = await registerAndLogin(api);
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((c) => c.close()));
    });
    after(async () => {
      await server.stop();
    });

    it('closes with 1009 on a frame over 16 KiB, and takes one just under it', async () => {
      const { client: chat } = await connectWithHistory(server.url, alice.access_token);
      open.push(chat);
      // 3,900 four-byte characters: under the text limit, about 15.6 KiB on the wire.
      const bigButFine = JSON.stringify({ type: 'chat', text: '😀'.repeat(3900), ref: 'big' });
      expect(Buffer.byteLength(bigButFine)).to.be.within(15 * 1024, 16 * 1024);
      chat.send(bigButFine);
      expect((await chat.nextOfType('ack')).ref).to.equal('big');

      chat.send('x'.repeat(16 * 1024 + 1));
      expect((await chat.waitClose()).code).to.equal(1009);
    });

    it('drops a peer that stops answering pings, and keeps one that answers', async () => {
      const before = server.chat.stats().closed_dead_peer;
      const dead = await connect(server.url, alice.access_token, { wsOptions: { autoPong: false } });
      const alive = await connect(server.url, alice.access_token);
      open.push(dead, alive);
      const closed = await dead.waitClose();
      expect(closed.code).to.equal(1006);
      expect(server.chat.stats().closed_dead_peer).to.equal(before + 1);
      // The answering peer lived through the same heartbeats.
      alive.send({ type: 'chat', text: 'alive', ref: 'alive' });
      expect((await alive.nextOfType('ack')).ref).to.equal('alive');
    });
  });

  describe('on a server of their own: slow reader, shutdown, restart', () => {
    it('closes a reader that stops reading with 1013 instead of buffering without bound', async () => {
      // A small bound; the default heartbeat, which a paused reader could not answer in time.
      const server = await startTestServer(TEST_LIMITS, { chat: { maxBufferedBytes: 64 * 1024 } });
      const api = client(server.url);
      let reader: ChatClient | undefined;
      try {
        const alice = await registerAndLogin(api);
        const bob = await registerAndLogin(api);
        reader = await connect(server.url, bob.access_token);
        await reader.nextOfType('history');
        const socket = (reader.ws as unknown as { _socket: Socket })._socket;
        socket.pause();

        const text = '😀'.repeat(3900);
        let sent = 0;
        // Enough to fill the kernel's buffers and then the server's bound; bounded in case it never trips.
        while (server.chat.stats().closed_slow_reader === 0 && sent < 1000) {
          const batch = Array.from({ length: 25 }, () =>
            api.post('/messenger/messages', { token: alice.access_token, json: { to: bob.username, text } }),
          );
          for (const reply of await Promise.all(batch)) expect(reply.status).to.equal(201);
          sent += 25;
        }
        expect(server.chat.stats().closed_slow_reader).to.equal(1);
        socket.resume();
        expect((await reader.waitClose(10_000)).code).to.equal(1013);
      } finally {
        reader?.ws.terminate();
        await server.stop();
      }
    });

    it('closes sockets with 1001 when the server shuts down', async () => {
      const server = await startTestServer(TEST_LIMITS);
      try {
        const alice = await registerAndLogin(client(server.url));
        const { client: chat } = await connectWithHistory(server.url, alice.access_token);
        const stopped = server.stop();
        expect((await chat.waitClose()).code).to.equal(1001);
        await stopped;
      } finally {
        await server.stop();
      }
    });

    it('delivers across two instances sharing one store: each to its own sockets, from the feed', async () => {
      const dataDir = tempDataDir();
      const first = await startTestServer({ ...TEST_LIMITS, DATA_DIR: dataDir }, { keepData: true });
      const second = await startTestServer({ ...TEST_LIMITS, DATA_DIR: dataDir }, { keepData: true });
      try {
        const alice = await registerAndLogin(client(first.url));
        const bob = await registerAndLogin(client(first.url));
        const { client: onFirst } = await connectWithHistory(first.url, alice.access_token);
        const { client: onSecond } = await connectWithHistory(second.url, bob.access_token);
        onFirst.send({ type: 'pm', to: bob.username, text: 'across instances', ref: 'x1' });
        const { id } = await onFirst.nextOfType('ack');
        expect(await onSecond.nextOfType('pm')).to.include({ id, from: alice.username, text: 'across instances' });
        // The first instance has no socket of bob's: "online" is per instance.
        expect(await onFirst.nextOfType('pm')).to.include({ id, recipient_online: false });
        onSecond.send('chat from the second instance');
        expect((await onFirst.nextOfType('chat')).text).to.equal('chat from the second instance');
        await Promise.all([onFirst.close(), onSecond.close()]);
      } finally {
        await second.stop();
        await first.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it('keeps the history across a restart on the same DATA_DIR', async () => {
      const dataDir = tempDataDir();
      const first = await startTestServer({ ...TEST_LIMITS, DATA_DIR: dataDir }, { keepData: true });
      const api1 = client(first.url);
      const alice = await registerAndLogin(api1);
      const bob = await registerAndLogin(api1);
      const { client: a } = await connectWithHistory(first.url, alice.access_token);
      for (const text of ['one', 'two', 'three']) a.send(`/pm ${bob.username} ${text}`);
      for (let i = 0; i < 3; i++) await a.nextOfType('pm');
      await first.stop();

      const second = await startTestServer({ ...TEST_LIMITS, DATA_DIR: dataDir });
      try {
        const login = await client(second.url).post('/auth/login', {
          json: { username: bob.username, password: bob.password },
        });
        const { client: b, history } = await connectWithHistory(second.url, login.body.access_token);
        expect(history.messages.map((m: { text: string }) => m.text)).to.deep.equal(['one', 'two', 'three']);
        // The token of the session started before the restart still works too.
        const { history: again } = await connectWithHistory(second.url, bob.access_token);
        expect(again.messages).to.deep.equal(history.messages);
        await b.close();
      } finally {
        await second.stop();
      }
    });
  });
});
