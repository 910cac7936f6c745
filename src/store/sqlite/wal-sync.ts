import { fsync, openSync, closeSync } from 'node:fs';

/**
 * Makes commits durable without blocking the event loop. The events connection commits with
 * synchronous=NORMAL (in WAL mode: no fsync per commit, and SQLite itself syncs the WAL before
 * every checkpoint); this then fsyncs the WAL file on libuv's thread pool. Calls made while an
 * fsync is running share the next one, so one fsync covers every commit that came before it.
 */
export class WalSync {
  private fd: number | null = null;
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  /** `walPath` is null for an in-memory database: nothing to make durable. */
  constructor(private readonly walPath: string | null) {}

  /** Resolves once everything committed before this call is on disk. */
  durable(): Promise<void> {
    if (this.walPath === null) return Promise.resolve();
    if (this.next) return this.next;
    if (!this.running) return this.start();
    // The running fsync may have started before our commit: wait for it, then take a fresh one.
    const next = this.running
      .catch(() => {})
      .then(() => {
        this.next = null;
        return this.start();
      });
    this.next = next;
    return next;
  }

  private start(): Promise<void> {
    const run = new Promise<void>((resolve, reject) => {
      try {
        this.fd ??= openSync(this.walPath!, 'r');
      } catch (error) {
        reject(error);
        return;
      }
      fsync(this.fd, (error) => (error ? reject(error) : resolve()));
    }).finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }

  /** Waits for any fsync under way, then releases the file. */
  async close(): Promise<void> {
    await Promise.allSettled([this.running, this.next]);
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
