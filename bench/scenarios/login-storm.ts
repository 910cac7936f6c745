import type { RateCommand, Stream, StreamResult } from '../clients/http-load';
import { BenchChild } from '../lib/child';
import { BENCH_PASSWORD, seedUsers } from '../lib/seed';
import { round } from '../lib/stats';
import { withProcesses, workspace, type Target } from './target';

export interface LoginStormOptions {
  users: number;
  /** POST /messenger/messages per second, in both phases. */
  messagesPerS: number;
  loginsPerS: number;
  warmupMs: number;
  durationMs: number;
}

export interface LoginStormResult {
  messages_per_s: number;
  logins_per_s: number;
  /** PM latency (POST /messenger/messages: append, WAL fsync, projections) with no logins running. */
  quiet_p99_ms: number;
  /** The same, while logins run at loginsPerS: argon2 and the fsync share libuv's thread pool. */
  storm_p99_ms: number;
  /** storm / quiet: the goal is at most 2. */
  ratio: number;
  quiet: StreamResult;
  storm: { messages: StreamResult; logins: StreamResult };
}

/**
 * Private messages over HTTP at a steady rate, first alone, then with logins beside them, against
 * one server in one run: the ratio of the two p99s is what the logins cost message durability.
 */
export async function loginStormBench(target: Target, o: LoginStormOptions): Promise<LoginStormResult> {
  const ws = workspace(target, 'login-storm');
  try {
    const engine = await ws.openEngine();
    const users = await seedUsers(engine, { count: o.users, sessions: true });
    await engine.close();
    return await withProcesses(async (track) => {
      // As in the login scenario: every login comes from 127.0.0.1, so the per-address limit is lifted.
      const server = track(await ws.startServer({ RATE_LIMIT_LOGIN_IP: '1000000' }));
      const client = track(BenchChild.start('clients/http-load.ts'));
      const messages: Stream = {
        name: 'messages',
        method: 'POST',
        rate: o.messagesPerS,
        requests: users.map((u, i) => ({
          path: '/messenger/messages',
          token: u.access_token!,
          body: { text: `/pm ${users[(i + 1) % users.length].username} storm bench` },
        })),
      };
      const logins: Stream = {
        name: 'logins',
        method: 'POST',
        rate: o.loginsPerS,
        requests: users.map((u) => ({ path: '/auth/login', body: { username: u.username, password: BENCH_PASSWORD } })),
      };
      const phase = (streams: Stream[]): RateCommand => ({
        cmd: 'rate',
        url: server.url,
        warmupMs: o.warmupMs,
        durationMs: o.durationMs,
        streams,
      });
      const quiet = (await client.call<Record<string, StreamResult>>(phase([messages])))['messages'];
      const storm = await client.call<Record<string, StreamResult>>(phase([messages, logins]));
      for (const [name, result] of [
        ['quiet messages', quiet],
        ['messages', storm['messages']],
        ['logins', storm['logins']],
      ] as const) {
        if (!result.statuses['201'] && !result.statuses['200'])
          throw new Error(`no ${name} succeeded: ${JSON.stringify(result.statuses)}`);
      }
      return {
        messages_per_s: o.messagesPerS,
        logins_per_s: storm['logins'].per_s,
        quiet_p99_ms: quiet.latency_ms.p99,
        storm_p99_ms: storm['messages'].latency_ms.p99,
        ratio: round(storm['messages'].latency_ms.p99 / quiet.latency_ms.p99),
        quiet,
        storm: { messages: storm['messages'], logins: storm['logins'] },
      };
    });
  } finally {
    await ws.cleanUp();
  }
}
