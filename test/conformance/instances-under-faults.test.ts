import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { forEachEngine, type EngineStorage } from '../helpers/engines';
import { client, registerAndLogin, type Client, type TestUser } from '../helpers/http';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/processes';
import { tempDataDir } from '../helpers/server';
import { connectWithHistory, type ChatClient } from '../helpers/ws';

/**
 * The promise of a shared store, tried as an operator would: two server processes on one store,
 * users on both sending private messages through both, `events export` and `parley rebuild` run
 * back to back beside them, then the instance applying the projections killed with SIGKILL while
 * messages keep coming. Every acknowledged message must reach every socket of its recipient
 * exactly once and be in the inbox and conversation history on every instance still running.
 */

const USERS = 12;
const PHASE_1 = 15;
const PHASE_2 = 5;
/** The runner's default lease time plus one renewal and slack: a liveness bound, not a timing claim. */
const TAKEOVER_BOUND_MS = 15_000;

interface Instance {
  server: ServerProcess;
  api: Client;
  /** Log records at error level or worse. */
  errors: string[];
}

interface User extends TestUser {
  sockets: ChatClient[];
}

async function startInstance(storage: EngineStorage): Promise<Instance> {
  const server = await startServerProcess(storage.env);
  const errors: string[] = [];
  server.child.stdout!.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (/"level":(50|60)/.test(line)) errors.push(line);
  });
  return { server, api: recording(client(server.url)), errors };
}

const statuses: number[] = [];
/** Keeps every HTTP status answered, so that the test can insist none was a 5xx. */
function recording(api: Client): Client {
  const keep = async <T extends { status: number }>(reply: Promise<T>) => {
    const r = await reply;
    statuses.push(r.status);
    return r;
  };
  return {
    get: (p, o) => keep(api.get(p, o)),
    post: (p, o) => keep(api.post(p, o)),
    patch: (p, o) => keep(api.patch(p, o)),
    request: (m, p, o) => keep(api.request(m, p, o)),
  };
}

/** Which instance's process holds each projection's lease, by /readyz. */
async function leaseHolders(instance: Instance): Promise<string[]> {
  const reply = await instance.api.get('/readyz');
  const projections = (reply.body.projections ?? reply.body.error?.details?.projections ?? []) as {
    lease_holder: string | null;
  }[];
  return projections.map((p) => p.lease_holder ?? '');
}

const holds = (holder: string, instance: Instance) => holder.split('/')[1] === String(instance.server.child.pid);

interface Sent {
  id: string;
  from: User;
  to: User;
}

/** Each user sends `count` PMs round-robin to the others, alternating between its sockets, all at once: the acks. */
async function sendRound(
  users: User[],
  count: number,
  round: string,
  socketsOf: (u: User) => ChatClient[],
): Promise<Sent[]> {
  const pending: Promise<Sent>[] = [];
  users.forEach((from, i) => {
    const sockets = socketsOf(from);
    for (let k = 0; k < count; k++) {
      const to = users[(i + 1 + (k % (users.length - 1))) % users.length];
      const ref = `${round}-${i}-${k}`;
      const socket = sockets[k % sockets.length];
      socket.send({ type: 'pm', to: to.username, text: `${round} ${k} from ${from.username}`, ref });
      pending.push(
        socket
          .next((f) => f.ref === ref && (f.type === 'ack' || f.type === 'error'), `the ack of ${ref}`, 20_000)
          .then((f) => {
            expect(f.type, JSON.stringify(f)).to.equal('ack');
            return { id: f.id as string, from, to };
          }),
      );
    }
  });
  return Promise.all(pending);
}

/** Waits until every socket of each recipient got every message sent to them, then checks there is no duplicate. */
async function expectDeliveredOnce(sent: Sent[], socketsOf: (u: User) => ChatClient[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  const got = (socket: ChatClient, id: string) => socket.frames.some((f) => f.type === 'pm' && f.id === id);
  const missing = () => sent.filter((s) => socketsOf(s.to).some((socket) => !got(socket, s.id)));
  while (missing().length > 0 && Date.now() < deadline) await sleep(50);
  expect(
    missing().map((s) => s.id),
    'acknowledged PMs never delivered',
  ).to.deep.equal([]);
  await sleep(300);
  for (const user of new Set(sent.map((s) => s.to))) {
    for (const socket of socketsOf(user)) {
      const ids = socket.frames.filter((f) => f.type === 'pm' && f.to === user.username).map((f) => f.id as string);
      expect(ids.length, `PMs to ${user.username} delivered more than once`).to.equal(new Set(ids).size);
    }
  }
}

/** Every sent PM is in its recipient's inbox and in the pair's conversation, as served by `instance`. */
async function expectInHistory(instance: Instance, sent: Sent[]): Promise<void> {
  for (const user of new Set(sent.map((s) => s.to))) {
    const inbox = await instance.api.get('/messenger/inbox', { token: user.access_token });
    expect(inbox.status).to.equal(200);
    const ids = new Set(inbox.body.messages.map((m: { id: string }) => m.id));
    const lost = sent.filter((s) => s.to === user && !ids.has(s.id)).map((s) => s.id);
    expect(lost, `missing from ${user.username}'s inbox`).to.deep.equal([]);
  }
  const pairs = new Map<string, Sent[]>();
  for (const s of sent) {
    const key = `${s.from.username}>${s.to.username}`;
    pairs.set(key, [...(pairs.get(key) ?? []), s]);
  }
  for (const list of pairs.values()) {
    const { from, to } = list[0];
    const reply = await instance.api.get(`/messenger/conversations/${to.username}?limit=100`, {
      token: from.access_token,
    });
    expect(reply.status).to.equal(200);
    const ids = new Set(reply.body.messages.map((m: { id: string }) => m.id));
    expect(
      list.filter((s) => !ids.has(s.id)).map((s) => s.id),
      'missing from the conversation',
    ).to.deep.equal([]);
  }
}

/** Runs a CLI command over and over until `stop` resolves; every run must succeed. */
async function backToBack(args: () => string[], env: Record<string, string>, stop: Promise<void>): Promise<number> {
  let done = false;
  void stop.then(() => {
    done = true;
  });
  let runs = 0;
  while (!done) {
    const run = await runCli(args(), env);
    expect(run.code, `${args().join(' ')}: ${run.stderr}`).to.equal(0);
    runs++;
  }
  return runs;
}

forEachEngine('two instances on one store under operator tools and a crash', (kind) => {
  it('loses, repeats and fails no message; the survivor takes the projections over', async function () {
    this.timeout(120_000);
    const storage = kind.storage();
    const scratch = tempDataDir();
    const instances: Instance[] = [];
    const users: User[] = [];
    try {
      const a = await startInstance(storage);
      instances.push(a);
      const b = await startInstance(storage);
      instances.push(b);
      // The first instance took every lease.
      expect((await leaseHolders(b)).every((h) => holds(h, a))).to.equal(true);

      for (let i = 0; i < USERS; i++) {
        const home = instances[i % 2];
        const user = await registerAndLogin(home.api);
        users.push({ ...user, sockets: [] });
      }
      for (const user of users) {
        for (const instance of instances)
          user.sockets.push((await connectWithHistory(instance.server.url, user.access_token)).client);
      }
      const allSockets = (u: User) => u.sockets;

      // Phase 1: traffic through both instances while the tools run beside them.
      let endTools!: () => void;
      const toolsEnd = new Promise<void>((resolve) => {
        endTools = resolve;
      });
      let exportNo = 0;
      const tools = Promise.all([
        backToBack(() => ['rebuild'], storage.env, toolsEnd),
        backToBack(
          () => ['events', 'export', '--output', path.join(scratch, `export-${++exportNo}.ndjson`)],
          storage.env,
          toolsEnd,
        ),
      ]);
      const phase1 = await sendRound(users, PHASE_1, 'one', allSockets);
      await expectDeliveredOnce(phase1, allSockets);
      endTools();
      const [rebuilds, exports] = await tools;
      expect(rebuilds).to.be.greaterThan(0);
      expect(exports).to.be.greaterThan(0);
      for (const instance of instances) await expectInHistory(instance, phase1);
      // A fresh export holds every acknowledged message.
      const finalExport = path.join(scratch, 'final.ndjson');
      expect((await runCli(['events', 'export', '--output', finalExport], storage.env)).code).to.equal(0);
      const exported = new Set(
        readFileSync(finalExport, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => (JSON.parse(line) as { data: { message_id?: string } }).data.message_id),
      );
      expect(phase1.filter((s) => !exported.has(s.id))).to.deep.equal([]);

      // Phase 2: the lease holder dies mid-traffic; messages keep coming through the survivor.
      const onB = (u: User) => [u.sockets[1]];
      const phase2Sending = sendRound(users, PHASE_2, 'two', onB);
      a.server.child.kill('SIGKILL');
      const phase2 = await phase2Sending;
      const deadline = Date.now() + TAKEOVER_BOUND_MS;
      while (!(await leaseHolders(b)).every((h) => holds(h, b))) {
        if (Date.now() > deadline)
          throw new Error(`no takeover within ${TAKEOVER_BOUND_MS} ms: ${await leaseHolders(b)}`);
        await sleep(100);
      }
      await expectDeliveredOnce(phase2, onB);
      await expectInHistory(b, [...phase1, ...phase2]);

      const errorFrames = users.flatMap((u) => u.sockets.flatMap((s) => s.frames.filter((f) => f.type === 'error')));
      expect(errorFrames).to.deep.equal([]);
      expect(statuses.filter((s) => s >= 500)).to.deep.equal([]);
      expect(a.errors).to.deep.equal([]);
      expect(b.errors).to.deep.equal([]);
    } finally {
      for (const user of users) for (const socket of user.sockets) await socket.close();
      for (const instance of instances) await instance.server.stop();
      await storage.destroy();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
