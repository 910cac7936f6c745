import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { startServerProcess, type ServerProcess } from './helpers/processes';
import { tempDataDir } from './helpers/server';
import { connectWithSync, lastCursor, say, shown } from './helpers/sync';
import { connectWithHistory, type ChatClient, type Frame } from './helpers/ws';

type Step = { kind: 'send'; from: number; to: number | null } | { kind: 'drop'; awayMs: number; onB: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('send' as const), from: fc.nat(2), to: fc.option(fc.nat(2)) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), awayMs: fc.nat(30), onB: fc.boolean() }) },
);

const key = (f: Frame) => `${f.type}:${f.id}:${f.cursor}`;

/** What a client was shown from the frame with id `first` to the one with id `last`, inclusive. */
function between(frames: Frame[], first: string, last: string): string[] {
  const all = shown(frames);
  const from = all.findIndex((f) => f.id === first);
  const to = all.findIndex((f) => f.id === last);
  expect(from, 'the start marker').to.be.at.least(0);
  expect(to, 'the end marker').to.be.at.least(from);
  return all.slice(from, to + 1).map(key);
}

describe('chat socket: resync property', function () {
  this.timeout(120_000);
  // Two instances on one DATA_DIR: traffic goes through B, the always-connected client is on A and
  // the other one reconnects to either. A's feed trails what B writes, the hard case for resync.
  const dataDir = tempDataDir();
  let a: ServerProcess;
  let b: ServerProcess;
  let api: Client;
  let users: TestUser[];
  const open: ChatClient[] = [];

  before(async () => {
    [a, b] = await Promise.all([startServerProcess({ DATA_DIR: dataDir }), startServerProcess({ DATA_DIR: dataDir })]);
    api = client(b.url);
    users = await Promise.all([0, 1, 2].map(() => registerAndLogin(api)));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('random disconnects during random traffic: what a reconnecting client was shown equals what an always-connected one was', async () => {
    const bob = users[1];
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 20 }), async (steps) => {
        run++;
        const { client: steady } = await connectWithHistory(a.url, bob.access_token);
        let flaky = (await connectWithHistory(a.url, bob.access_token)).client;
        open.push(steady, flaky);
        const flakyFrames: Frame[][] = [flaky.frames];
        const start = await say(api, users[0], `start ${run}`);
        await Promise.all([steady, flaky].map((c) => c.next((f) => f.id === start.id, 'the start marker')));

        let away: Promise<void> = Promise.resolve();
        // Sends are not awaited one by one: they race each other, the feed and the reconnects.
        const sends: Promise<Frame>[] = [];
        for (const [i, s] of steps.entries()) {
          if (s.kind === 'send') {
            const to = s.to === null || s.to === s.from ? undefined : users[s.to];
            sends.push(say(api, users[s.from], `run ${run} step ${i}`, to));
            continue;
          }
          await away;
          // Traffic goes on while the client is away and while it reconnects.
          away = (async () => {
            await flaky.close();
            await delay(s.awayMs);
            const { client: back, sync } = await connectWithSync(
              (s.onB ? b : a).url,
              bob.access_token,
              lastCursor(flaky.frames),
            );
            expect(sync.limited, 'a sync of a few frames').to.equal(false);
            open.push(back);
            flakyFrames.push(back.frames);
            flaky = back;
          })();
        }
        await Promise.all([away, ...sends]);
        const end = await say(api, users[2], `end ${run}`);
        await Promise.all([steady, flaky].map((c) => c.next((f) => f.id === end.id, 'the end marker')));
        const expected = between(steady.frames, start.id, end.id);
        expect(between(flakyFrames.flat(), start.id, end.id)).to.deep.equal(expected);
        await Promise.all(open.splice(0).map((c) => c.close()));
      }),
      { numRuns: 8 },
    );
  });
});
