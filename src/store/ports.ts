import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { EventMetadata, ParleyEvent, StoredEvent } from '../events';
import type { RawEvent } from '../events/upcasters';
import type { DataKeyStore } from './data-key-port';
import type { ReadModelStore } from './read-models';

/** 0 means the stream must not exist yet; 'any' skips the check. */
export type ExpectedVersion = number | 'any';

export interface StreamAppend {
  stream: string;
  expectedVersion: ExpectedVersion;
  events: ParleyEvent[];
}

export interface AppendOptions {
  metadata: EventMetadata;
  /** ISO time stamped on every event of this append. */
  time: string;
}

export interface AppendResult {
  events: StoredEvent[];
  /** Position of the last event appended (the log's head right after this append). */
  position: number;
}

/** Thrown when a stream's version is not the one the command was decided on. */
export class ConcurrencyError extends Error {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream ${stream} is at version ${actual}, expected ${expected}`);
    this.name = 'ConcurrencyError';
  }
}

export interface LoadedStreams {
  /** Every event of the requested streams, in log order. */
  events: StoredEvent[];
  /** Current version of each requested stream (0 when it does not exist). */
  versions: Map<string, number>;
}

/** Receives events in log order; the next batch waits until the returned promise settles. */
export type BatchHandler = (events: StoredEvent[]) => Promise<void> | void;

export interface Subscription {
  /** Position of the last event handed to the handler. */
  readonly position: number;
  /** Resolves when the subscription stopped; rejects with the handler's error if it failed. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export interface SubscribeOptions {
  /** Largest batch handed to the handler at once. */
  batchSize?: number;
  /** Called once the subscription has caught up with the log's head for the first time. */
  onLive?: () => void;
}

/** The append-only event log. */
export interface EventStore {
  /** Appends to one or more streams atomically: all events are stored, or none. */
  append(appends: StreamAppend[], options: AppendOptions): Promise<AppendResult>;
  readStreams(streams: string[]): Promise<LoadedStreams>;
  /** Events after `afterPosition`, in log order, at most `limit`. */
  readAll(afterPosition: number, limit: number): Promise<StoredEvent[]>;
  headPosition(): Promise<number>;
  /** Catches up from `afterPosition`, then follows appends live until stopped. */
  subscribe(afterPosition: number, handler: BatchHandler, options?: SubscribeOptions): Subscription;
  /**
   * Writes events exactly as exported (ids, positions, streams, versions, times, metadata, schema
   * versions and data as stored), atomically: all of them or none. Positions must increase and lie
   * after the log's head (followers never look back); throws ImportConflictError, writing nothing,
   * when a position or a (stream, version) is already taken or out of order.
   */
  importEvents(events: RawEvent[]): Promise<void>;
  /**
   * How this instance learns of appends made by other processes, where the engine has a push feed
   * (MongoDB's change stream): 'push' while it delivers them as they commit, 'polling' (since an ISO
   * time, with the last error) while it is down and subscriptions only find them by reading the log
   * every poll interval. Engines without a push feed leave it out.
   */
  feedStatus?(): FeedStatus;
}

export interface FeedStatus {
  mode: 'push' | 'polling';
  since?: string;
  error?: string;
}

/** Why importEvents() refused a batch; nothing of it was written. */
export class ImportConflictError extends Error {
  constructor(
    readonly position: number,
    message: string,
  ) {
    super(message);
    this.name = 'ImportConflictError';
  }
}

/**
 * The store could not learn whether an append was committed (the connection or the primary was lost
 * during the commit): it may be stored or not, and is not tried again, since that could store it
 * twice. Resending the command is safe where it is idempotent (a message with the same `ref`).
 */
export class CommitUnknownError extends Error {
  constructor(cause: unknown) {
    super(`the store did not confirm the commit: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'CommitUnknownError';
  }
}

/** An event larger than the store takes. Nothing of its append was stored; other appends are not affected. */
export class EventTooLargeError extends Error {
  constructor(
    readonly type: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`a ${type} event of ${bytes} bytes is larger than the ${limit} bytes the store takes`);
    this.name = 'EventTooLargeError';
  }
}

/**
 * The store stayed locked by another process for longer than it waits (SQLite's busy_timeout):
 * nothing was stored. Transient: the same request succeeds once the other writer is done.
 */
export class StoreBusyError extends Error {
  constructor(cause: unknown) {
    super(`the store stayed busy: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'StoreBusyError';
  }
}

/**
 * Thrown by ShadowReadModel.promote() on engines that can tell, atomically with the swap, that the
 * log has grown past the shadow: nothing was promoted; catch the shadow up and promote again.
 */
export class ShadowBehindError extends Error {
  constructor(
    readonly projection: string,
    readonly position: number,
    readonly head: number,
  ) {
    super(`shadow of ${projection} is at ${position}, the log at ${head}`);
    this.name = 'ShadowBehindError';
  }
}

export interface StoredPicture {
  content_type: string;
  bytes: Buffer;
}

/** Picture bytes, addressed by their sha256 (so a re-upload of the same picture is free). */
export interface PictureStore {
  put(id: string, contentType: string, bytes: Buffer): Promise<void>;
  get(id: string): Promise<StoredPicture | null>;
  /** Deletes the bytes for good (an erased user's pictures); nothing happens for an unknown id. */
  delete(id: string): Promise<void>;
}

/** An event's data (and, for email claim streams, its stream) rewritten in place by `privacy migrate`. */
export interface RewrittenEvent {
  position: number;
  stream: string;
  data: Record<string, unknown>;
}

/** The engine's part in protecting personal data (docs/privacy.md). */
export interface PrivacyStore {
  readonly keys: DataKeyStore;
  /**
   * The one sanctioned rewrite of stored events: replaces the data (and stream name) of the events
   * at these positions, atomically; ids, positions, types, versions, times and metadata stay.
   */
  rewriteEvents(events: RewrittenEvent[]): Promise<void>;
  /** Events after `afterPosition` exactly as stored (not upcast), at most `limit`: what the rewrite starts from. */
  readRaw(afterPosition: number, limit: number): Promise<RawEvent[]>;
}

export interface RateLimitOptions {
  /** Namespace of the counters ('login_account', 'login_ip', …). */
  keyPrefix: string;
  /** How many consumptions are allowed per `duration`. */
  points: number;
  /** Window in seconds. */
  duration: number;
  /** Seconds a key stays blocked once it has used up its points (0: until the window ends). */
  blockDuration?: number;
}

/** Who holds a lease, and until when (by the store's clock). */
export interface Lease {
  name: string;
  holder: string;
  expires_at: Date;
}

/**
 * Named, expiring leases shared by every process on the store: the projection runner takes one per
 * projection so that one instance applies it while the others only follow its checkpoint.
 */
export interface LeaseStore {
  /**
   * Takes `name` for `holder` for `ttlMs` if it is free, expired or already `holder`'s (then it is
   * renewed). True when `holder` holds it afterwards, false when someone else does.
   */
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up, if `holder` still holds it, so another instance may take it at once. */
  release(name: string, holder: string): Promise<void>;
  list(): Promise<Lease[]>;
}

/** One storage engine: everything parley keeps. */
export interface Engine {
  readonly name: 'sqlite' | 'mongo';
  readonly events: EventStore;
  readModels: ReadModelStore;
  readonly pictures: PictureStore;
  readonly privacy: PrivacyStore;
  readonly leases: LeaseStore;
  /**
   * A rate limiter whose counters live in this engine, so that limits hold across every app
   * instance sharing it (rate-limiter-flexible does the counting).
   */
  createRateLimiter(options: RateLimitOptions): RateLimiterAbstract;
  close(): Promise<void>;
}
