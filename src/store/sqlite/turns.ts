import { setTimeout as sleep } from 'node:timers/promises';

/** Longest rest between two write transactions of a tool: SQLite's busy handler polls at most this far apart. */
const MAX_REST_MS = 100;
const MIN_REST_MS = 2;

/**
 * Leaves the write lock free for a while after a tool's (rebuild, import) write transaction that
 * began at `startedAt` (performance.now()). SQLite's locks are not fair: a process waiting for the
 * lock (a live server's append) polls it in its busy handler at growing intervals (1, 2, 5, … 100
 * ms), and a tool that commits and at once begins its next transaction would win nearly every time,
 * until the waiter's busy_timeout ran out. Resting about half as long as the lock was held puts a
 * poll of every waiter inside the gap, so a server's write waits for at most one tool transaction.
 */
export async function giveWritersATurn(startedAt: number): Promise<void> {
  const held = performance.now() - startedAt;
  await sleep(Math.min(MAX_REST_MS, Math.max(MIN_REST_MS, held / 2 + MIN_REST_MS)));
}
