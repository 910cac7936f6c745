import { performance } from 'node:perf_hooks';
import { hashPassword, verifyPassword } from '../../src/auth/passwords';
import { HASH_THREADS } from '../../src/threadpool';
import type { RateCommand, StreamResult } from '../clients/http-load';
import { BenchChild } from '../lib/child';
import { BENCH_PASSWORD, seedUsers } from '../lib/seed';
import type { LoopReading } from '../lib/server';
import { sleep } from '../lib/stats';
import { withProcesses, workspace, type Target } from './target';

export interface LoginOptions {
  users: number;
  loginsPerS: number;
  mePerS: number;
  warmupMs: number;
  durationMs: number;
}

export interface LoginResult {
  logins_per_s: number;
  /**
   * Baseline: argon2id verifications per second this machine manages with parley's parameters and
   * nothing else running (HASH_THREADS in flight, the server's bound). Logins cannot go faster.
   */
  baseline_argon2_verifies_per_s: number;
  event_loop_p99_ms: number;
  me_p99_ms: number;
  event_loop: LoopReading;
  login: StreamResult;
  me: StreamResult;
}

/**
 * Logins (argon2id verification, a session event, waiting for its projection) at a fixed rate from
 * a client process, with GET /users/me at a fixed rate beside them. The server's event-loop delay
 * comes from perf_hooks.monitorEventLoopDelay inside the server (the bench probe), over the
 * measured window.
 */
async function argon2Capacity(ms: number): Promise<number> {
  const hash = await hashPassword(BENCH_PASSWORD);
  const threads = HASH_THREADS;
  const started = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: threads }, async () => {
      while (performance.now() - started < ms) {
        await verifyPassword(hash, BENCH_PASSWORD);
        done++;
      }
    }),
  );
  return Math.round((done / ((performance.now() - started) / 1000)) * 10) / 10;
}

export async function loginBench(target: Target, o: LoginOptions): Promise<LoginResult> {
  const baseline = await argon2Capacity(Math.min(3000, o.durationMs));
  const ws = workspace(target, 'login');
  try {
    const engine = await ws.openEngine();
    const users = await seedUsers(engine, { count: o.users, sessions: true });
    await engine.close();
    return await withProcesses(async (track) => {
      // Every bench login comes from 127.0.0.1; in production they come from many addresses, so the
      // per-address login limit is lifted here (the per-account one stays).
      const server = track(await ws.startServer({ RATE_LIMIT_LOGIN_IP: '1000000' }));
      const client = track(BenchChild.start('clients/http-load.ts'));
      const command: RateCommand = {
        cmd: 'rate',
        url: server.url,
        warmupMs: o.warmupMs,
        durationMs: o.durationMs,
        streams: [
          {
            name: 'login',
            method: 'POST',
            rate: o.loginsPerS,
            requests: users.map((u) => ({
              path: '/auth/login',
              body: { username: u.username, password: BENCH_PASSWORD },
            })),
          },
          {
            name: 'me',
            method: 'GET',
            rate: o.mePerS,
            requests: users.map((u) => ({ path: '/users/me', token: u.access_token! })),
          },
        ],
      };
      const running = client.call<Record<string, StreamResult>>(command);
      await sleep(o.warmupMs);
      await server.probe('reset');
      const result = await running;
      const loop = await server.probe<LoopReading>('loop');
      const login = result.login;
      const me = result.me;
      if (!login.statuses['200']) throw new Error(`no login succeeded: ${JSON.stringify(login.statuses)}`);
      return {
        logins_per_s: login.per_s,
        baseline_argon2_verifies_per_s: baseline,
        event_loop_p99_ms: loop.p99_ms,
        me_p99_ms: me.latency_ms.p99,
        event_loop: loop,
        login,
        me,
      };
    });
  } finally {
    await ws.cleanUp();
  }
}
