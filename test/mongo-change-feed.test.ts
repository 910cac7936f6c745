import { expect } from 'chai';
import { MongoNetworkError, MongoServerError, Timestamp, type Collection, type MongoClient } from 'mongodb';
import type { StoredEvent } from '../src/events';
import { createLogger } from '../src/log';
import { ChangeFeed } from '../src/store/mongo/change-feed';
import type { EventDoc } from '../src/store/mongo/event-doc';
import { until } from './conformance/fixtures';
import { LogCapture } from './helpers/log-capture';

/** What one tryNext() of a fake change stream does: throw, answer an empty wait (null), or bring an insert. */
type Step = Error | null | EventDoc;

/**
 * Just enough of the driver for ChangeFeed, without a server: each watch() opens a stream that plays
 * the next script (the last one repeats, ending in idle waits), recording the options it was opened with.
 */
function fakeDriver(scripts: Step[][]) {
  const opened: Record<string, unknown>[] = [];
  const session = { operationTime: new Timestamp({ t: 1, i: 1 }), endSession: async () => {} };
  const client = { startSession: () => session } as unknown as MongoClient;
  const events = {
    find: () => ({ limit: () => ({ toArray: async () => [] }) }),
    watch: (_pipeline: unknown, options: Record<string, unknown>) => {
      opened.push(options);
      const script = [...(scripts[opened.length - 1] ?? [])];
      return {
        resumeToken: { _data: `idle-${opened.length}` },
        async tryNext() {
          // Scripted steps come at once; past the script, idle waits like a getMore's (shorter).
          await new Promise((resolve) => (script.length > 0 ? setImmediate(resolve) : setTimeout(resolve, 20)));
          const step = script.length > 0 ? script.shift()! : null;
          if (step instanceof Error) throw step;
          if (step === null) return null;
          return { _id: { _data: `after-${step._id}` }, operationType: 'insert', fullDocument: step };
        },
        close: async () => {},
      };
    },
  } as unknown as Collection<EventDoc>;
  return { client, events, opened };
}

const doc = (position: number): EventDoc => ({
  _id: position,
  id: `e-${position}`,
  stream: `chat-${position}`,
  version: 1,
  type: 'ChatMessagePosted',
  schema_version: 1,
  time: '2026-01-01T00:00:00.000Z',
  data: { message_id: `m-${position}`, from_id: 'u', from: 'alice', text: 'hi' },
  metadata: { correlation_id: 'c', causation_id: 'k' },
});

describe('MongoDB change feed: failures are logged and reported, and never lose events', () => {
  let feed: ChangeFeed | undefined;
  afterEach(async () => {
    await feed?.close();
  });

  function start(scripts: Step[][]) {
    const driver = fakeDriver(scripts);
    const logs = new LogCapture();
    const delivered: number[] = [];
    let discontinuities = 0;
    feed = new ChangeFeed(
      driver.client,
      driver.events,
      {
        onEvents: (events: StoredEvent[]) => delivered.push(...events.map((e) => e.position)),
        onDiscontinuity: () => {
          discontinuities += 1;
        },
      },
      createLogger('info', logs),
    );
    return { feed, logs, delivered, discontinuities: () => discontinuities, opened: driver.opened };
  }

  it('reports polling until the stream first answers, then push, delivering what it brings', async () => {
    const f = start([[null, doc(1), doc(2)]]);
    expect(f.feed.status().mode).to.equal('polling');
    await f.feed.start();
    await until(() => f.delivered.length === 2, 'two pushed events');
    expect(f.feed.status()).to.deep.equal({ mode: 'push' });
    expect(f.delivered).to.deep.equal([1, 2]);
    expect(f.logs.records().filter((r) => (r.level as number) >= 40)).to.deep.equal([]);
  });

  it('logs each failure at warn and reports polling since the first, resumes from its token, then reports push again', async () => {
    const lost = new MongoNetworkError('connection 3 to mongo:27017 closed');
    const f = start([
      [null, doc(1), lost],
      [null, doc(2)],
    ]);
    await f.feed.start();
    await until(() => f.delivered.includes(2), 'the event after the restart');
    // Resumed after the last event it delivered: nothing in between is skipped or repeated.
    expect(f.opened[1].resumeAfter).to.deep.equal({ _data: 'after-1' });
    const warnings = f.logs.records().filter((r) => r.level === 40);
    expect(warnings).to.have.length(1);
    expect(warnings[0].msg).to.match(/change stream on events failed/);
    expect((warnings[0].err as { message: string }).message).to.equal(lost.message);
    expect(f.logs.records().some((r) => r.level === 30 && /restored/.test(r.msg as string))).to.equal(true);
    expect(f.feed.status()).to.deep.equal({ mode: 'push' });
    expect(f.discontinuities()).to.equal(0);
  });

  it('while down, says since when and why; after a second failure starts afresh and has subscriptions re-read the log', async () => {
    const f = start([[null, new MongoNetworkError('first')], [new MongoNetworkError('second')], [null, doc(5)]]);
    await f.feed.start();
    // Holds through the back-off after the first failure (the second comes only after it).
    await until(() => f.feed.status().error === 'first', 'the first failure');
    const down = f.feed.status();
    expect(down.mode).to.equal('polling');
    expect(Date.parse(down.since!)).to.be.a('number').and.not.NaN;
    await until(() => f.delivered.includes(5), 'the event after starting afresh');
    expect(f.discontinuities()).to.equal(1);
    // Afresh means from a cluster time, not from the lost token.
    expect(f.opened[2]).to.have.property('startAtOperationTime');
    expect(f.opened[2]).not.to.have.property('resumeAfter');
    expect(f.logs.records().filter((r) => r.level === 40)).to.have.length(2);
  });

  it('starts afresh at once when the oplog no longer holds its token (ChangeStreamHistoryLost)', async () => {
    const historyLost = new MongoServerError({
      ok: 0,
      code: 286,
      codeName: 'ChangeStreamHistoryLost',
      errmsg: 'history lost',
    });
    const f = start([
      [null, doc(1), historyLost],
      [null, doc(9)],
    ]);
    await f.feed.start();
    await until(() => f.delivered.includes(9), 'the event after starting afresh');
    expect(f.discontinuities()).to.equal(1);
    expect(f.opened[1]).not.to.have.property('resumeAfter');
  });

  it('logs an event it cannot read and has subscriptions read it by position instead', async () => {
    const unreadable = { ...doc(3), type: 'FromTheFuture' };
    const f = start([[null, doc(1), unreadable, doc(4)]]);
    await f.feed.start();
    await until(() => f.delivered.includes(4), 'the event after the unreadable one');
    expect(f.delivered).to.deep.equal([1, 4]);
    expect(f.discontinuities()).to.equal(1);
    const warning = f.logs.records().find((r) => r.level === 40);
    expect(warning).to.include({ position: 3 });
  });
});
