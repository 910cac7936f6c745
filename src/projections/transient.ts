import { CheckpointMovedError } from '../store/read-models';

/** MongoDB server error codes that mean "try again": elections, shutdowns, conflicts, timeouts. */
const TRANSIENT_MONGO_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  24, // LockTimeout
  89, // NetworkTimeout
  91, // ShutdownInProgress
  112, // WriteConflict
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);
const TRANSIENT_MONGO_LABELS = ['TransientTransactionError', 'RetryableWriteError', 'ResetPool'];
const TRANSIENT_MONGO_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'MongoWaitQueueTimeoutError',
]);
const TRANSIENT_NODE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

interface MaybeStoreError {
  name?: string;
  code?: unknown;
  message?: string;
  hasErrorLabel?: (label: string) => boolean;
}

/**
 * Whether a store error will likely go away if the same work is tried again: a lock another
 * process held too long, a lost connection, a primary stepping down, a checkpoint another process
 * moved. Engine-neutral (duck-typed), so the runner needs neither driver.
 */
export function isTransientStoreError(error: unknown): boolean {
  if (error instanceof CheckpointMovedError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const e = error as MaybeStoreError;
  if (typeof e.code === 'string') {
    if (e.code.startsWith('SQLITE_BUSY') || e.code.startsWith('SQLITE_LOCKED')) return true;
    if (TRANSIENT_NODE_CODES.has(e.code)) return true;
  }
  if (typeof e.code === 'number' && TRANSIENT_MONGO_CODES.has(e.code)) return true;
  if (typeof e.hasErrorLabel === 'function' && TRANSIENT_MONGO_LABELS.some((l) => e.hasErrorLabel!(l))) return true;
  if (e.name !== undefined && TRANSIENT_MONGO_NAMES.has(e.name)) return true;
  return /database is locked/i.test(e.message ?? '');
}
