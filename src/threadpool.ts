import { availableParallelism } from 'node:os';

/**
 * libuv's thread pool is one per process (worker threads share it) and runs both argon2 (every
 * login, registration and password change) and the WAL fsync that acknowledges every append. With
 * the default 4 threads, a burst of logins fills the pool and appends wait behind hashes. So hashing
 * takes at most HASH_THREADS threads (src/auth/passwords.ts), and the pool gets IO_THREADS more.
 * Half the cores (argon2 is CPU-bound, and the event loop needs CPU too), but at least 2: one thread
 * verifies ~40 passwords/s here, below the 50 logins/s two cores are meant to take.
 * docs/benchmarks.md ("Logins beside messages") has the reasoning and the figures.
 */
export const HASH_THREADS = Math.max(2, Math.floor(availableParallelism() / 2));
/** libuv's own default: what fs, dns.lookup and zlib had before hashing needed a share. */
export const IO_THREADS = 4;
export const MIN_THREADPOOL_SIZE = HASH_THREADS + IO_THREADS;

/**
 * libuv reads UV_THREADPOOL_SIZE once, when the pool first starts (the first fs/crypto/dns call
 * queued to it), so this must run before anything asynchronous: it is the entry point's first
 * import. An operator's own value is kept; the result says what the pool will be.
 */
export function sizeThreadPool(env: NodeJS.ProcessEnv = process.env): { size: number; configured: boolean } {
  const configured = env.UV_THREADPOOL_SIZE;
  if (configured !== undefined && configured !== '') return { size: Number(configured), configured: true };
  env.UV_THREADPOOL_SIZE = String(MIN_THREADPOOL_SIZE);
  return { size: MIN_THREADPOOL_SIZE, configured: false };
}

export const threadPool = sizeThreadPool();
