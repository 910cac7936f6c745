import argon2 from 'argon2';
import { HASH_THREADS } from '../threadpool';

/**
 * argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 24 ms a hash here,
 * against ~120 ms at the library's defaults, so fifty logins a second fit on two cores. The work
 * runs on libuv's thread pool, never on the event loop, and at most HASH_THREADS hashes at once:
 * the rest of the pool stays free for the WAL fsync that acknowledges appends (src/threadpool.ts).
 */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

let running = 0;
const waiting: (() => void)[] = [];

/** Runs one argon2 operation once fewer than HASH_THREADS are running; the others wait in order. */
async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running < HASH_THREADS) running += 1;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await work();
  } finally {
    // The slot goes straight to the next waiter, so `running` counts it still.
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  }
}

export const hashPassword = (password: string): Promise<string> => limited(() => argon2.hash(password, OPTIONS));

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await limited(() => argon2.verify(hash, password));
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | null = null;

/** Spends the same time as a real check, so an unknown username cannot be told from a wrong password. */
export async function burnPasswordCheck(password: string): Promise<false> {
  dummyHash ??= hashPassword('parley-dummy-password');
  await verifyPassword(await dummyHash, password);
  return false;
}
