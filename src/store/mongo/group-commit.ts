import { randomUUID } from 'node:crypto';
import {
  BSON,
  MongoError,
  MongoErrorLabel,
  MongoInvalidArgumentError,
  MongoServerError,
  type ClientSession,
  type TransactionOptions,
} from 'mongodb';
import { CURRENT_SCHEMA_VERSION } from '../../events/upcasters';
import {
  CommitUnknownError,
  ConcurrencyError,
  EventTooLargeError,
  type AppendOptions,
  type AppendResult,
  type StreamAppend,
} from '../ports';
import { DUPLICATE_KEY, hasCode } from './schema';

/** An append waiting for the next group commit. */
export interface PendingAppend {
  appends: StreamAppend[];
  options: AppendOptions;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** What one transaction decided for each append of its group (a version conflict fails only its own). */
export type Outcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

/**
 * Commits a group of appends with `commit` (one transaction for all of them) and settles each.
 * An append with an event too large to store fails first, alone. When the transaction fails, what
 * happens depends on where (classifyGroupFailure): a group that may be committed is never run again.
 */
export async function commitInGroup(
  pending: PendingAppend[],
  commit: (group: PendingAppend[]) => Promise<Outcome[]>,
): Promise<void> {
  const group = pending.filter((item) => {
    const tooLarge = eventTooLarge(item.appends, item.options);
    if (tooLarge) item.reject(tooLarge);
    return !tooLarge;
  });
  if (group.length === 0) return;
  let outcomes: Outcome[];
  try {
    outcomes = await commit(group);
  } catch (error) {
    if (classifyGroupFailure(error) === 'split' && group.length > 1) {
      for (const item of group) await commitInGroup([item], commit);
    } else {
      for (const item of group) item.reject(group.length === 1 ? asConcurrencyError(error, item) : error);
    }
    return;
  }
  outcomes.forEach((outcome, i) => {
    if (outcome.ok) group[i].resolve(outcome.result);
    else group[i].reject(outcome.error);
  });
}

/**
 * A duplicate (stream, version) can only come from a writer that bypassed the counter; it still
 * means the append lost a race, which callers handle as a version conflict. Any other error
 * (a duplicate position included) is no conflict: retrying the command would meet it again.
 */
function asConcurrencyError(error: unknown, item: PendingAppend): unknown {
  const key = duplicateStreamVersion(error);
  if (!key) return error;
  const append = item.appends.find((a) => a.stream === key.stream) ?? item.appends[0];
  return new ConcurrencyError(append.stream, append.expectedVersion, key.version);
}

/**
 * The largest event document stored. The server takes 16 MiB per document, but the change stream
 * wraps each insert in an envelope (resume token, namespace, times) that must fit in 16 MiB too:
 * an event the stream cannot carry would break it for every instance. 16 KiB covers the envelope.
 */
export const MAX_EVENT_BYTES = 16 * 1024 * 1024 - 16 * 1024;

/** Numbers at their widest in BSON (a double): a size measured with them bounds the stored one. */
const WIDEST_NUMBER = Number.MAX_SAFE_INTEGER;
const SAMPLE_ID = randomUUID();

/**
 * The first event of the append whose document would exceed `limit` bytes, as the error to fail
 * that append with; null when all fit. Measured before any transaction, with the widest position
 * and version, so that an append that passes here is never refused by the driver's own size check.
 */
export function eventTooLarge(
  appends: StreamAppend[],
  options: AppendOptions,
  limit = MAX_EVENT_BYTES,
): EventTooLargeError | null {
  for (const { stream, events } of appends) {
    for (const event of events) {
      const bytes = BSON.calculateObjectSize(
        {
          _id: WIDEST_NUMBER,
          id: SAMPLE_ID,
          stream,
          version: WIDEST_NUMBER,
          type: event.type,
          schema_version: CURRENT_SCHEMA_VERSION[event.type],
          time: options.time,
          data: event.data,
          metadata: options.metadata,
        },
        { ignoreUndefined: true },
      );
      if (bytes > limit) return new EventTooLargeError(event.type, bytes, limit);
    }
  }
  return null;
}

/**
 * What to do with a group of appends whose transaction failed:
 * - `unknown`: the failure came at or after commit, so the group may be stored. Running any of it
 *   again could store it twice; every append fails with CommitUnknownError instead.
 * - `split`: something in one append was refused (a document the driver cannot serialise or that is
 *   too large, a server-side write error). Nothing was stored; commit each append alone, so that
 *   only the culprit fails.
 * - `fail`: the store itself failed (unreachable, stepping down, timed out): every append would
 *   fail the same way, so they all fail with this error.
 */
export type GroupFailure = 'unknown' | 'split' | 'fail';

export function classifyGroupFailure(error: unknown): GroupFailure {
  if (error instanceof CommitUnknownError) return 'unknown';
  if (isCommitUnknown(error)) return 'unknown';
  if (error instanceof MongoInvalidArgumentError || BSON.BSONError.isBSONError(error)) return 'split';
  if (error instanceof MongoServerError && !isTransient(error)) return 'split';
  return 'fail';
}

/** Labelled by the driver as a commit whose outcome it could not learn. */
export function isCommitUnknown(error: unknown): boolean {
  return error instanceof MongoError && error.hasErrorLabel(MongoErrorLabel.UnknownTransactionCommitResult);
}

/** An error that says nothing about the group's content: the same group may succeed later. */
function isTransient(error: MongoError): boolean {
  return (
    error.hasErrorLabel(MongoErrorLabel.TransientTransactionError) ||
    error.hasErrorLabel(MongoErrorLabel.RetryableWriteError)
  );
}

/** Which step of a transaction was running: the caller's work, or (after it returned) the commit. */
export interface TransactionStep {
  step: 'work' | 'commit';
}

/**
 * The error a transaction's caller should see: one raised by the commit step, or labelled
 * UnknownTransactionCommitResult, means the transaction may have committed. withTransaction already
 * retried such a commit for as long as it would; it is not ours to run the work again.
 */
export function transactionError(error: unknown, at: TransactionStep): unknown {
  if (error instanceof CommitUnknownError) return error;
  if (at.step === 'commit' || isCommitUnknown(error)) return new CommitUnknownError(error);
  return error;
}

/**
 * Runs `work` in a transaction with withTransaction, which retries the work after transient errors
 * and the commit while its outcome is unknown. Which step failed is tracked (the work may run
 * several times; the step is set again each time), so that what it gives up on at the commit step
 * becomes CommitUnknownError.
 */
export async function inTransaction<T>(
  session: Pick<ClientSession, 'withTransaction'>,
  work: () => Promise<T>,
  options: TransactionOptions,
): Promise<T> {
  const at: TransactionStep = { step: 'work' };
  try {
    return await session.withTransaction(async () => {
      at.step = 'work';
      const result = await work();
      at.step = 'commit';
      return result;
    }, options);
  } catch (error) {
    throw transactionError(error, at);
  }
}

/**
 * An E11000 raised inside a transaction by a document another transaction inserted after this
 * one's snapshot, labelled so that withTransaction runs the work again: nothing of it is stored,
 * and the next run sees that document.
 */
export function duplicateAsTransient(error: unknown): unknown {
  if (error instanceof MongoError && hasCode(error, DUPLICATE_KEY)) {
    error.addErrorLabel(MongoErrorLabel.TransientTransactionError);
  }
  return error;
}

/**
 * The (stream, version) an E11000 from inserting events names, or null when the duplicate is not
 * on the stream_version index (on _id it means the position counter is behind the log, which no
 * retry of the command can fix). insertMany reports the failed document, not the key.
 */
export function duplicateStreamVersion(error: unknown): { stream: string; version: number } | null {
  if (!hasCode(error, DUPLICATE_KEY)) return null;
  const { keyValue, writeErrors, errmsg, message } = error as {
    keyValue?: { stream?: unknown; version?: unknown };
    writeErrors?: { errmsg?: string; getOperation?: () => { stream?: unknown; version?: unknown } }[];
    errmsg?: string;
    message?: string;
  };
  if (typeof keyValue?.stream === 'string' && typeof keyValue.version === 'number') {
    return { stream: keyValue.stream, version: keyValue.version };
  }
  const first = Array.isArray(writeErrors) ? writeErrors[0] : undefined;
  const text = first?.errmsg ?? errmsg ?? message ?? '';
  if (!/index: stream_version /.test(text)) return null;
  const doc = first?.getOperation?.();
  if (typeof doc?.stream !== 'string' || typeof doc.version !== 'number') return null;
  return { stream: doc.stream, version: doc.version };
}
