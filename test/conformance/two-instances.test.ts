import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { expectStatus } from '../helpers/assert';
import { MONGO_KIND, type EngineStorage } from '../helpers/engines';
import { client, registerAndLogin, uniqueName } from '../helpers/http';
import { TEST_SECRET } from '../helpers/server';
import { NO_RATE_LIMITS } from '../helpers/suite';
import { connectWithHistory } from '../helpers/ws';

const MAIN = path.resolve(__dirname, '../../dist/main.js');

interface Instance {
  url: string;
  process: ChildProcess;
}

/** Starts `node dist/main.js` on the storage and resolves with its URL once it listens. */
function startInstance(storage: EngineStorage): Promise<Instance> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      ...NO_RATE_LIMITS,
      ...storage.env,
      HOST: '127.0.0.1',
      PORT: '0',
      SECRET_KEY: TEST_SECRET,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      let entry: { msg?: string; url?: string };
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (entry.msg === 'parley is listening' && entry.url) resolve({ url: entry.url, process: child });
    });
    child.once('exit', (code) => reject(new Error(`instance exited with ${code} before listening: ${stderr}`)));
  });
}

async function stopInstance(instance: Instance): Promise<void> {
  if (instance.process.exitCode !== null) return;
  const exited = new Promise((resolve) => instance.process.once('exit', resolve));
  instance.process.kill('SIGTERM');
  await exited;
}

/** Several app instances on one MongoDB database: the scale-out path. MongoDB only. */
if (MONGO_KIND) {
  describe('two app instances on one MongoDB database', function () {
    this.timeout(120_000);
    let storage: EngineStorage;
    let a: Instance;
    let b: Instance;

    before(async () => {
      if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
      storage = MONGO_KIND!.storage();
      a = await startInstance(storage);
      b = await startInstance(storage);
    });
    after(async () => {
      await Promise.all([a, b].filter(Boolean).map(stopInstance));
      await storage?.destroy();
    });

    it('delivers a private message sent through instance A live to the recipient’s socket on instance B', async () => {
      const apiA = client(a.url);
      const apiB = client(b.url);
      const alice = await registerAndLogin(apiA);
      const bob = await registerAndLogin(apiB);
      const { client: socket } = await connectWithHistory(b.url, bob.access_token);
      const sent = await apiA.post('/messenger/messages', {
        token: alice.access_token,
        json: { text: `/pm ${bob.username} across instances` },
      });
      expectStatus(sent, 201);
      const frame = await socket.nextOfType('pm');
      expect(frame).to.include({ id: sent.body.id, from: alice.username, to: bob.username, text: 'across instances' });
      await socket.close();
      // Read models are shared: B serves what A wrote.
      const inbox = await apiB.get('/messenger/inbox', { token: bob.access_token });
      expect(inbox.body.messages.map((m: { id: string }) => m.id)).to.deep.equal([sent.body.id]);
    });

    it('keeps usernames unique across instances: concurrent registrations on A and B, one 201 and one 409', async () => {
      const name = uniqueName('both');
      const replies = await Promise.all(
        [a, b].map((instance, i) =>
          client(instance.url).post('/users/create', {
            json: {
              username: i ? name : name.toUpperCase(),
              email: `${name}-${i}@example.test`,
              password: 'correct horse',
            },
          }),
        ),
      );
      expect(replies.map((r) => r.status).sort()).to.deep.equal([201, 409]);
      expect(replies.find((r) => r.status === 409)!.body.error.code).to.equal('username_taken');
    });

    it('accepts on B a session started on A, and ends it everywhere on logout', async () => {
      const carol = await registerAndLogin(client(a.url));
      expectStatus(await client(b.url).get('/users/me', { token: carol.access_token }), 200);
      expectStatus(await client(a.url).post('/auth/logout', { token: carol.access_token }), 204);
      const after = await client(b.url).get('/users/me', { token: carol.access_token });
      expect(after.status).to.equal(401);
    });
  });
}
