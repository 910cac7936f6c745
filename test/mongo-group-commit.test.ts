import { expect } from 'chai';
import {
  BSON,
  MongoBulkWriteError,
  MongoClient,
  type ClientSession,
  MongoErrorLabel,
  MongoInvalidArgumentError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoWriteConcernError,
} from 'mongodb';
// The driver builds the entries of MongoBulkWriteError.writeErrors with this class; it is not exported at the top.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { WriteError } = require('mongodb/lib/bulk/common.js') as { WriteError: new (err: object) => unknown };
import {
  classifyGroupFailure,
  commitInGroup,
  duplicateAsTransient,
  duplicateStreamVersion,
  eventTooLarge,
  inTransaction,
  MAX_EVENT_BYTES,
  transactionError,
  type Outcome,
  type PendingAppend,
} from '../src/store/mongo/group-commit';
import {
  CommitUnknownError,
  ConcurrencyError,
  EventTooLargeError,
  type AppendOptions,
  type AppendResult,
  type StreamAppend,
} from '../src/store/ports';
import type { ParleyEvent } from '../src/events';

const OPTIONS: AppendOptions = {
  time: '2026-01-01T00:00:00.000Z',
  metadata: { correlation_id: 'c', causation_id: 'k' },
};

const chat = (text: string): ParleyEvent => ({
  type: 'ChatMessagePosted',
  data: { message_id: `m-${text.length}`, from_id: 'u', from: 'alice', text },
});
const appendOf = (text: string, stream = 'chat-1'): StreamAppend[] => [
  { stream, expectedVersion: 'any', events: [chat(text)] },
];

const labelled = (error: MongoServerError | MongoNetworkError, label: string) => {
  error.addErrorLabel(label);
  return error;
};
const serverError = (code: number, codeName: string, message = codeName) =>
  new MongoServerError({ ok: 0, code, codeName, errmsg: message });
const commitUnknown = () =>
  labelled(
    new MongoNetworkError('connection reset during commitTransaction'),
    MongoErrorLabel.UnknownTransactionCommitResult,
  );
const writeConflict = () => labelled(serverError(112, 'WriteConflict'), MongoErrorLabel.TransientTransactionError);
const tooLargeForDriver = () => new MongoInvalidArgumentError('Document is larger than the maximum size 16777216');

function duplicate(index: string, op: object): MongoBulkWriteError {
  const errmsg = `E11000 duplicate key error collection: parley.events index: ${index} dup key: { ... }`;
  return new MongoBulkWriteError(
    { message: errmsg, code: 11000, writeErrors: [new WriteError({ index: 0, code: 11000, errmsg, op })] } as never,
    {} as never,
  );
}

describe('MongoDB group commit: what a failed transaction means for its appends', () => {
  describe('classifyGroupFailure', () => {
    it('treats a commit whose outcome is unknown as possibly stored', () => {
      expect(classifyGroupFailure(commitUnknown())).to.equal('unknown');
      expect(
        classifyGroupFailure(
          labelled(serverError(50, 'MaxTimeMSExpired'), MongoErrorLabel.UnknownTransactionCommitResult),
        ),
      ).to.equal('unknown');
      expect(classifyGroupFailure(new CommitUnknownError(new Error('x')))).to.equal('unknown');
    });

    it('splits on what the driver refuses to send for one document: too large, or not serialisable', () => {
      expect(classifyGroupFailure(tooLargeForDriver())).to.equal('split');
      expect(classifyGroupFailure(new BSON.BSONError('cannot serialise'))).to.equal('split');
    });

    it('splits on a server-side refusal that is not transient (a document validation, a duplicate key)', () => {
      expect(classifyGroupFailure(serverError(121, 'DocumentValidationFailure'))).to.equal('split');
      expect(classifyGroupFailure(duplicate('stream_version', { stream: 's', version: 1 }))).to.equal('split');
    });

    it('fails the whole group on store failures that say nothing about its content', () => {
      expect(classifyGroupFailure(writeConflict())).to.equal('fail');
      expect(
        classifyGroupFailure(labelled(serverError(10107, 'NotWritablePrimary'), MongoErrorLabel.RetryableWriteError)),
      ).to.equal('fail');
      expect(classifyGroupFailure(new MongoNetworkError('connection refused'))).to.equal('fail');
      expect(classifyGroupFailure(new MongoNotConnectedError('client closed'))).to.equal('fail');
      expect(classifyGroupFailure(new TypeError('a bug'))).to.equal('fail');
    });
  });

  describe('transactionError', () => {
    it('turns any error of the commit step into CommitUnknownError, keeping the cause', () => {
      for (const error of [
        new MongoWriteConcernError({ writeConcernError: { code: 100, errmsg: 'UnsatisfiableWriteConcern' } } as never),
        labelled(serverError(251, 'NoSuchTransaction'), MongoErrorLabel.TransientTransactionError),
        new MongoNetworkError('reset'),
      ]) {
        const mapped = transactionError(error, { step: 'commit' });
        expect(mapped).to.be.instanceOf(CommitUnknownError);
        expect((mapped as Error).cause).to.equal(error);
      }
    });

    it('turns an error labelled UnknownTransactionCommitResult into CommitUnknownError wherever it came from', () => {
      expect(transactionError(commitUnknown(), { step: 'work' })).to.be.instanceOf(CommitUnknownError);
    });

    it('leaves errors of the work step as they are', () => {
      const error = tooLargeForDriver();
      expect(transactionError(error, { step: 'work' })).to.equal(error);
      const conflict = writeConflict();
      expect(transactionError(conflict, { step: 'work' })).to.equal(conflict);
    });
  });

  describe("inTransaction, on the driver's own withTransaction (commit and abort stand in for the server)", () => {
    // Never connected: startTransaction and withTransaction run client-side;
    // only commit and abort would talk to a server.
    const client = new MongoClient('mongodb://127.0.0.1:9', { serverSelectionTimeoutMS: 100 });
    after(() => client.close());
    type Txn = { transition(state: string): void };

    /** A session whose commits fail with each of `commitErrors` in turn, then succeed. */
    function session(commitErrors: unknown[]): { session: ClientSession; commits: () => number } {
      const s = client.startSession();
      const txn = () => (s as unknown as { transaction: Txn }).transaction;
      let commits = 0;
      Object.assign(s, {
        // Like the driver's: the state is 'committed' after any attempt (a retry then commits again or starts afresh).
        async commitTransaction() {
          txn().transition('TRANSACTION_COMMITTED');
          const error = commitErrors[commits++];
          if (error) throw error;
        },
        async abortTransaction() {
          txn().transition('TRANSACTION_ABORTED');
        },
      });
      return { session: s, commits: () => commits };
    }
    /** Work that counts its runs, marks the transaction in progress (as a first operation does) and may throw. */
    function work(s: ClientSession, errors: unknown[] = []) {
      let runs = 0;
      const run = async () => {
        (s as unknown as { transaction: Txn }).transaction.transition('TRANSACTION_IN_PROGRESS');
        const error = errors[runs++];
        if (error) throw error;
        return 'done';
      };
      return { run, runs: () => runs };
    }

    it('fails with CommitUnknownError, having run the work once, when the commit fails in a way the driver does not retry', async () => {
      const failure = new MongoWriteConcernError({
        writeConcernError: { code: 100, errmsg: 'UnsatisfiableWriteConcern' },
      } as never);
      const { session: s, commits } = session([failure]);
      const w = work(s);
      const error = await inTransaction(s, w.run, {}).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(CommitUnknownError).and.to.have.property('cause', failure);
      expect([w.runs(), commits()]).to.deep.equal([1, 1]);
      await s.endSession();
    });

    it('relies on the driver to retry a commit whose outcome is unknown, without running the work again', async () => {
      const { session: s, commits } = session([commitUnknown(), commitUnknown()]);
      const w = work(s);
      expect(await inTransaction(s, w.run, {})).to.equal('done');
      expect([w.runs(), commits()]).to.deep.equal([1, 3]);
      await s.endSession();
    });

    it('tracks the step afresh on each run: a transient commit failure runs the work again, whose own error stays as it is', async () => {
      const refused = tooLargeForDriver();
      const { session: s, commits } = session([
        labelled(serverError(251, 'NoSuchTransaction'), MongoErrorLabel.TransientTransactionError),
      ]);
      const w = work(s, [undefined, refused]);
      expect(await inTransaction(s, w.run, {}).catch((e: unknown) => e)).to.equal(refused);
      expect([w.runs(), commits()]).to.deep.equal([2, 1]);
      await s.endSession();
    });

    it('runs the work again after a duplicate key marked by duplicateAsTransient (a counter created meanwhile)', async () => {
      const { session: s, commits } = session([]);
      const duplicate = duplicateAsTransient(serverError(11000, 'DuplicateKey', 'E11000 index: _id_'));
      const w = work(s, [duplicate]);
      expect(await inTransaction(s, w.run, {})).to.equal('done');
      expect([w.runs(), commits()]).to.deep.equal([2, 1]);
      const other = writeConflict();
      expect(duplicateAsTransient(tooLargeForDriver())).to.satisfy(
        (e: MongoInvalidArgumentError) => !e.hasErrorLabel('TransientTransactionError'),
      );
      expect(duplicateAsTransient(other)).to.equal(other);
      await s.endSession();
    });

    it('retries work that met a write conflict, and commits once', async () => {
      const { session: s, commits } = session([]);
      const w = work(s, [writeConflict()]);
      expect(await inTransaction(s, w.run, {})).to.equal('done');
      expect([w.runs(), commits()]).to.deep.equal([2, 1]);
      await s.endSession();
    });
  });

  describe('eventTooLarge', () => {
    it('passes ordinary events, and refuses one whose document would not fit', () => {
      expect(eventTooLarge(appendOf('hello'), OPTIONS)).to.equal(null);
      const error = eventTooLarge(appendOf('x'.repeat(MAX_EVENT_BYTES)), OPTIONS);
      expect(error).to.be.instanceOf(EventTooLargeError);
      expect(error).to.include({ type: 'ChatMessagePosted', limit: MAX_EVENT_BYTES });
      expect(error!.bytes).to.be.greaterThan(MAX_EVENT_BYTES);
    });

    it('measures an upper bound of the stored document, whatever its position and version', () => {
      const measured = eventTooLarge(appendOf('hello'), OPTIONS, 0)!.bytes;
      const [append] = appendOf('hello');
      const stored = {
        _id: 1,
        id: crypto.randomUUID(),
        stream: append.stream,
        version: 1,
        type: 'ChatMessagePosted',
        schema_version: 1,
        time: OPTIONS.time,
        data: append.events[0].data,
        metadata: OPTIONS.metadata,
      };
      expect(measured).to.be.at.least(BSON.calculateObjectSize(stored));
      expect(measured).to.be.at.least(BSON.calculateObjectSize({ ...stored, _id: 2 ** 40, version: 2 ** 40 }));
      expect(eventTooLarge(appendOf('hello'), OPTIONS, measured)).to.equal(null);
      expect(eventTooLarge(appendOf('hello'), OPTIONS, measured - 1)).to.be.instanceOf(EventTooLargeError);
    });

    it('leaves room under the 16 MiB the driver and the server take, for the change stream envelope', () => {
      expect(MAX_EVENT_BYTES).to.be.below(16 * 1024 * 1024);
    });
  });

  describe('duplicateStreamVersion', () => {
    it("names the (stream, version) of an E11000 on the stream_version index, from insertMany's failed document", () => {
      expect(duplicateStreamVersion(duplicate('stream_version', { _id: 7, stream: 's-1', version: 3 }))).to.deep.equal({
        stream: 's-1',
        version: 3,
      });
    });

    it('reads keyValue when the server error has it', () => {
      const error = new MongoServerError({
        ok: 0,
        code: 11000,
        errmsg: 'E11000',
        keyValue: { stream: 's-2', version: 4 },
      });
      expect(duplicateStreamVersion(error)).to.deep.equal({ stream: 's-2', version: 4 });
    });

    it('is null for a duplicate position (the counter is behind the log: no retry of the command helps) and other errors', () => {
      expect(duplicateStreamVersion(duplicate('_id_', { _id: 7, stream: 's-1', version: 3 }))).to.equal(null);
      expect(duplicateStreamVersion(writeConflict())).to.equal(null);
    });
  });

  describe('commitInGroup', () => {
    interface Sent {
      text: string;
      settled?: { ok: true; result: AppendResult } | { ok: false; error: unknown };
    }

    function pending(texts: string[]): { items: PendingAppend[]; sent: Sent[] } {
      const sent: Sent[] = texts.map((text) => ({ text }));
      const items = sent.map((s): PendingAppend => ({
        appends: appendOf(s.text),
        options: OPTIONS,
        resolve: (result) => {
          s.settled = { ok: true, result };
        },
        reject: (error) => {
          s.settled = { ok: false, error };
        },
      }));
      return { items, sent };
    }
    const stored = (item: PendingAppend): Outcome => ({
      ok: true,
      result: { events: [], position: item.appends[0].events.length },
    });
    const textsOf = (group: PendingAppend[]) =>
      group.map((g) => (g.appends[0].events[0].data as { text: string }).text);

    it('commits the group in one call and settles each append with its own outcome', async () => {
      const { items, sent } = pending(['a', 'b', 'c']);
      const calls: string[][] = [];
      const conflict = new ConcurrencyError('chat-1', 1, 2);
      await commitInGroup(items, async (group) => {
        calls.push(textsOf(group));
        return group.map((item, i) => (i === 1 ? { ok: false, error: conflict } : stored(item)));
      });
      expect(calls).to.deep.equal([['a', 'b', 'c']]);
      expect(sent.map((s) => s.settled?.ok)).to.deep.equal([true, false, true]);
      expect(sent[1].settled).to.deep.include({ error: conflict });
    });

    it('never runs a group again after its commit may have happened: every append fails with CommitUnknownError', async () => {
      const { items, sent } = pending(['a', 'b', 'c']);
      let calls = 0;
      await commitInGroup(items, async () => {
        calls += 1;
        throw transactionError(new MongoNetworkError('reset'), { step: 'commit' });
      });
      expect(calls).to.equal(1);
      for (const s of sent)
        expect(s.settled)
          .to.include({ ok: false })
          .and.to.have.property('error')
          .that.is.instanceOf(CommitUnknownError);
    });

    it('does not run a lone append again either', async () => {
      const { items, sent } = pending(['a']);
      let calls = 0;
      await commitInGroup(items, async () => {
        calls += 1;
        throw commitUnknown();
      });
      expect(calls).to.equal(1);
      expect(sent[0].settled).to.include({ ok: false });
    });

    it('fails an oversized append before any transaction, and commits the others together', async () => {
      const { items, sent } = pending(['a', 'x'.repeat(MAX_EVENT_BYTES), 'c']);
      const calls: string[][] = [];
      await commitInGroup(items, async (group) => {
        calls.push(textsOf(group));
        return group.map(stored);
      });
      expect(calls).to.deep.equal([['a', 'c']]);
      expect(sent.map((s) => s.settled?.ok)).to.deep.equal([true, false, true]);
      expect((sent[1].settled as { error: unknown }).error).to.be.instanceOf(EventTooLargeError);
    });

    it('splits a group the driver refused for one document, so that only that append fails', async () => {
      const texts = Array.from({ length: 200 }, (_, i) => `m${i}`);
      const { items, sent } = pending(texts);
      const calls: string[][] = [];
      await commitInGroup(items, async (group) => {
        calls.push(textsOf(group));
        if (textsOf(group).includes('m57')) throw new BSON.BSONError('cannot serialise m57');
        return group.map(stored);
      });
      expect(calls[0]).to.have.length(200);
      expect(calls.slice(1)).to.deep.equal(texts.map((t) => [t]));
      expect(sent.filter((s) => !s.settled?.ok).map((s) => s.text)).to.deep.equal(['m57']);
      expect(sent.every((s) => s.settled !== undefined)).to.equal(true);
    });

    it("answers a lone append's duplicate (stream, version) as a version conflict, and a duplicate position as it is", async () => {
      const { items, sent } = pending(['a', 'b']);
      const byPosition = duplicate('_id_', { _id: 1, stream: 'chat-1', version: 1 });
      await commitInGroup(items, async (group) => {
        if (group.length > 1) throw duplicate('stream_version', { _id: 1, stream: 'chat-1', version: 1 });
        if (textsOf(group)[0] === 'a') throw duplicate('stream_version', { _id: 1, stream: 'chat-1', version: 1 });
        throw byPosition;
      });
      const [a, b] = sent.map((s) => (s.settled as { error: unknown }).error);
      expect(a).to.be.instanceOf(ConcurrencyError).and.to.include({ stream: 'chat-1', actual: 1 });
      expect(b).to.equal(byPosition);
    });

    it('fails every append with the error, without splitting, when the store itself fails', async () => {
      const { items, sent } = pending(['a', 'b', 'c']);
      let calls = 0;
      const error = new MongoNetworkError('connection refused');
      await commitInGroup(items, async () => {
        calls += 1;
        throw error;
      });
      expect(calls).to.equal(1);
      expect(sent.map((s) => (s.settled as { error: unknown }).error)).to.deep.equal([error, error, error]);
    });
  });
});
