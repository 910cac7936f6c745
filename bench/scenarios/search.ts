import type { LatencyCommand, StreamResult } from '../clients/http-load';
import { BenchChild } from '../lib/child';
import { seedUsers } from '../lib/seed';
import { prng, round } from '../lib/stats';
import { withProcesses, workspace, type Target } from './target';

export interface SearchOptions {
  users: number;
  warmupMs: number;
  durationMs: number;
}

export interface SearchResult {
  users: number;
  /** The worse p99 of the two look-ups. */
  p99_ms: number;
  prefix_search: StreamResult;
  by_username: StreamResult;
  seed_ms: number;
  /** Server start on the seeded log, including its projections catching up. */
  startup_ms: number;
}

/**
 * Users seeded into the log, then one client (one request in flight) alternating
 * GET /users?search=<1–3 letter prefix of a real username> and GET /users/{username} in varied case.
 */
export async function searchBench(target: Target, o: SearchOptions): Promise<SearchResult> {
  const ws = workspace(target, 'search');
  try {
    let t = Date.now();
    const engine = await ws.openEngine();
    const users = await seedUsers(engine, { count: o.users, sessions: false, chunk: 5000 });
    await engine.close();
    const seedMs = Date.now() - t;
    return await withProcesses(async (track) => {
      t = Date.now();
      const server = track(await ws.startServer());
      const startupMs = Date.now() - t;
      const random = prng(3);
      const pick = () => users[Math.floor(random() * users.length)].username;
      const prefixes = Array.from({ length: 2000 }, () => pick().slice(0, 1 + Math.floor(random() * 3)));
      const names = Array.from({ length: 2000 }, () => {
        const name = pick();
        return random() < 0.5 ? name : name.toUpperCase();
      });
      const client = track(BenchChild.start('clients/http-load.ts'));
      const command: LatencyCommand = {
        cmd: 'latency',
        url: server.url,
        concurrency: 1,
        warmupMs: o.warmupMs,
        durationMs: o.durationMs,
        groups: {
          search: prefixes.map((p) => `/users?search=${encodeURIComponent(p)}`),
          profile: names.map((n) => `/users/${encodeURIComponent(n)}`),
        },
      };
      const result = await client.call<Record<string, StreamResult>>(command);
      const search = result.search;
      const profile = result.profile;
      return {
        users: o.users,
        p99_ms: round(Math.max(search.latency_ms.p99, profile.latency_ms.p99)),
        prefix_search: search,
        by_username: profile,
        seed_ms: seedMs,
        startup_ms: startupMs,
      };
    });
  } finally {
    await ws.cleanUp();
  }
}
