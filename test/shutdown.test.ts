import { existsSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { connect as tcpConnect } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { freePort, killChild, startChild, type ChildServer } from './helpers/child';
import { client, registerAndLogin, type TestUser } from './helpers/http';
import { tempDataDir } from './helpers/server';
import { connectWithHistory, type ChatClient } from './helpers/ws';

interface HeldRequest {
  /** Sends the body: the request completes. */
  finish(): void;
  reply: Promise<{ status: number; body: any }>;
}

/**
 * A POST whose headers the server has already taken (it answered "100 Continue"), with its body
 * held back: a request in flight for as long as the test wants.
 */
function holdRequest(port: number, token: string, json: unknown): Promise<HeldRequest> {
  const body = Buffer.from(JSON.stringify(json));
  return new Promise((resolveHeld, reject) => {
    let resolveReply!: (r: { status: number; body: any }) => void;
    const reply = new Promise<{ status: number; body: any }>((resolve) => {
      resolveReply = resolve;
    });
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/messenger/messages',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          authorization: `Bearer ${token}`,
          expect: '100-continue',
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolveReply({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.on('continue', () => resolveHeld({ finish: () => req.end(body), reply }));
    req.flushHeaders();
  });
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });

describe('graceful shutdown on SIGTERM', function () {
  this.timeout(60_000);
  const dataDir = tempDataDir();
  let child: ChildServer | undefined;
  after(async () => {
    await killChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops accepting, finishes requests in flight, closes sockets with 1001, closes the store and exits 0', async () => {
    const port = await freePort();
    child = await startChild(dataDir, port);
    const api = client(child.url);
    const alice: TestUser = await registerAndLogin(api, 'alice');
    const bob: TestUser = await registerAndLogin(api, 'bob');
    const sockets: ChatClient[] = [
      (await connectWithHistory(child.url, alice.access_token)).client,
      (await connectWithHistory(child.url, bob.access_token)).client,
    ];
    const held = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        holdRequest(port, alice.access_token, { to: 'bob', text: `in flight ${i}`, ref: `held-${i}` }),
      ),
    );

    child.process.kill('SIGTERM');
    await child.logged('shutting down');
    // Sockets are told the server is going away.
    for (const socket of sockets) {
      const closed = await socket.waitClose();
      expect(closed.code).to.equal(1001);
      expect(closed.reason).to.match(/shutting down|going away/);
    }
    // No new connections.
    expect(await refused(port), 'a new connection is refused').to.equal(true);
    // The requests it had taken still complete.
    for (const request of held) request.finish();
    const replies = await Promise.all(held.map((r) => r.reply));
    expect(
      replies.map((r) => r.status),
      JSON.stringify(child.logs.filter((l) => (l.level as number) >= 50)),
    ).to.deep.equal([201, 201, 201, 201, 201]);

    const { code } = await child.exited;
    expect(code, 'exit status').to.equal(0);
    // The store was closed properly: SQLite folded its write-ahead log back into the database file.
    const wal = path.join(dataDir, 'parley.db-wal');
    expect(!existsSync(wal) || statSync(wal).size === 0, 'no write-ahead log left behind').to.equal(true);

    // Everything that was answered is there after a restart, once.
    child = await startChild(dataDir, port);
    const relogged = await client(child.url).post('/auth/login', { json: { username: 'bob', password: bob.password } });
    const inbox = await client(child.url).get('/messenger/inbox', { token: relogged.body.access_token });
    expect(inbox.body.messages.map((m: { text: string }) => m.text).sort()).to.deep.equal(
      [1, 2, 3, 4, 5].map((i) => `in flight ${i}`),
    );
    expect(inbox.body.messages.map((m: { id: string }) => m.id).sort()).to.deep.equal(
      replies.map((r) => r.body.id).sort(),
    );
    child.process.kill('SIGTERM');
    expect((await child.exited).code).to.equal(0);
  });

  it('a kill -9, by contrast, leaves the write-ahead log behind (what the check above tells apart)', async () => {
    const port = await freePort();
    child = await startChild(dataDir, port);
    await registerAndLogin(client(child.url), 'carol');
    child.process.kill('SIGKILL');
    await child.exited;
    const wal = path.join(dataDir, 'parley.db-wal');
    expect(existsSync(wal) && statSync(wal).size > 0).to.equal(true);
  });
});
