import { rmSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/log';
import type { ProjectionStatus } from '../src/projections/runner';
import { startServer, type RunningServer } from '../src/server';
import type { Engine } from '../src/store/ports';
import type { ReadModelStore } from '../src/store/read-models';
import { openSqliteEngine } from '../src/store/sqlite';
import { client, registerAndLogin, type Client, type Reply, type TestUser } from './helpers/http';
import { TEST_SECRET, tempDataDir } from './helpers/server';
import { NO_RATE_LIMITS } from './helpers/suite';

class LogCapture extends Writable {
  readonly lines: Record<string, any>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(JSON.parse(chunk.toString()));
    done();
  }
}

/** Polls (the runner works in the background) until the condition holds; bounded by the test's timeout. */
async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  for (;;) {
    const value = await check();
    if (value) return value;
    await sleep(20);
  }
}

/**
 * The real SQLite engine, except that the inbox projection's writes fail for any batch holding a
 * message with 'poison' in it — until the test repairs it (a bug fixed, a disk freed).
 */
function engineWithBrokenInbox(file: string): { engine: Engine; repair(): void; failures(): number } {
  const real = openSqliteEngine({ file });
  let broken = true;
  let failures = 0;
  const readModels: ReadModelStore = new Proxy(real.readModels, {
    get(target, property, receiver) {
      if (property === 'apply') {
        return (projection: string, ops: unknown[], from: number, to: number) => {
          if (broken && projection === 'inbox' && JSON.stringify(ops).includes('poison')) {
            failures++;
            return Promise.reject(new Error('inbox write failed'));
          }
          return target.apply(projection, ops as never, from, to);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    engine: { ...real, readModels },
    repair: () => {
      broken = false;
    },
    failures: () => failures,
  };
}

describe('crash safety: a projection that fails on an event', function () {
  this.timeout(60_000);
  const dataDir = tempDataDir();
  const logs = new LogCapture();
  let server: RunningServer;
  let api: Client;
  let alice: TestUser;
  let bob: TestUser;
  let broken: ReturnType<typeof engineWithBrokenInbox>;
  before(async () => {
    broken = engineWithBrokenInbox(path.join(dataDir, 'parley.db'));
    const config = loadConfig({
      ...NO_RATE_LIMITS,
      PORT: '0',
      HOST: '127.0.0.1',
      SECRET_KEY: TEST_SECRET,
      DATA_DIR: dataDir,
    });
    server = await startServer(config, createLogger('warn', logs), { engine: broken.engine });
    api = client(`http://127.0.0.1:${server.port}`);
    alice = await registerAndLogin(api, 'alice');
    bob = await registerAndLogin(api, 'bob');
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const inboxTexts = async () =>
    (await api.get('/messenger/inbox', { token: bob.access_token })).body.messages.map((m: { text: string }) => m.text);
  const inboxStatus = () => server.parley.projector.status().find((s) => s.name === 'inbox')!;

  it('stops at that event (never skips it), reports it in the log and /readyz, and resumes once repaired', async () => {
    const send = (text: string) =>
      api.post('/messenger/messages', { token: alice.access_token, json: { to: 'bob', text } });
    expect((await send('before')).status).to.equal(201);
    const headBefore = await server.parley.engine.events.headPosition();

    // Not awaited: the request waits for the read models, which cannot get there yet.
    const poisoned: Promise<Reply> = send('poison pill');
    const stopped: ProjectionStatus = await until(() => inboxStatus().error !== null && inboxStatus());
    const poisonPosition = headBefore + 1;
    expect(stopped.error!.position).to.equal(poisonPosition);
    expect(stopped.position, 'the checkpoint stays before the failing event').to.equal(poisonPosition - 1);

    // Reported: an error log line naming the projection and position, and readiness says why.
    const line = await until(() => logs.lines.find((l) => l.msg === 'projection stopped on an event'));
    expect(line).to.include({ projection: 'inbox', position: poisonPosition });
    const ready = await api.get('/readyz');
    expect(ready.status).to.equal(503);
    expect(ready.body.error.details.projections.find((p: { name: string }) => p.name === 'inbox').stopped_at).to.equal(
      poisonPosition,
    );

    // Later events wait behind it: the inbox does not jump over the poison to show them.
    const later: Promise<Reply> = send('after');
    await until(async () => (await server.parley.engine.events.headPosition()) === poisonPosition + 1);
    await until(() => broken.failures() >= 2); // it retried from the checkpoint, and failed again
    expect(inboxStatus().position).to.equal(poisonPosition - 1);
    expect(await inboxTexts()).to.deep.equal(['before']);
    // Other projections carry on meanwhile.
    const conversations = server.parley.projector.status().find((s) => s.name === 'conversations')!;
    expect(conversations.error).to.equal(null);

    broken.repair();
    expect((await poisoned).status).to.equal(201);
    expect((await later).status).to.equal(201);
    await until(async () => (await api.get('/readyz')).status === 200);
    expect(inboxStatus().error).to.equal(null);
    expect(await inboxTexts()).to.deep.equal(['before', 'poison pill', 'after']);
  });
});
