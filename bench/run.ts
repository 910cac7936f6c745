/**
 * parley's benchmark harness: `npm run bench` (full, a few minutes) or `npm run bench -- --quick`
 * (a smoke run, under a minute). Prints a table and writes bench/results.json.
 *
 * Options: --quick; --only=pm,login,login-storm,connections,search,rebuild; --profile (servers write V8 CPU
 * profiles to bench/profiles/, summarise with bench/profile-summary.ts); --out=<file>.
 * Set MONGO_URL to run every scenario on MongoDB too (reported separately under "mongo").
 * BENCH_DIST=<dir> runs the servers and the rebuild from another build's dist/ (A/B comparisons).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { machine } from './lib/machine';
import { ROOT } from './lib/server';
import { BenchChild } from './lib/child';
import { idleBench, type IdleResult } from './scenarios/idle';
import { loginBench, type LoginResult } from './scenarios/login';
import { loginStormBench, type LoginStormResult } from './scenarios/login-storm';
import { pmBench, type PmResult } from './scenarios/pm';
import { searchBench, type SearchResult } from './scenarios/search';
import { profiling, workspace, type Target } from './scenarios/target';
import type { RebuildTaskResult } from './tasks/rebuild';

const SCENARIOS = ['pm', 'login', 'login-storm', 'connections', 'search', 'rebuild'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const quick = values.quick;
const only = values.only ? (values.only.split(',') as Scenario[]) : [...SCENARIOS];
for (const name of only)
  if (!SCENARIOS.includes(name)) throw new Error(`unknown scenario ${name} (known: ${SCENARIOS.join(', ')})`);
if (values.profile) {
  profiling.dir = path.join(ROOT, 'bench', 'profiles');
  mkdirSync(profiling.dir, { recursive: true });
}

/** Sizes: the for a full run; small ones for --quick (a smoke run, not figures to quote). */
const PLAN = quick
  ? {
      pm: { users: 100, window: 4, perConnectionRate: 0, textSize: 100, warmupMs: 500, durationMs: 2000, relayRuns: 1 },
      login: { users: 50, loginsPerS: 50, mePerS: 50, warmupMs: 500, durationMs: 2000 },
      loginStorm: { users: 50, messagesPerS: 20, loginsPerS: 30, warmupMs: 500, durationMs: 2000 },
      connections: { connections: 1000 },
      search: { users: 10_000, warmupMs: 500, durationMs: 2000 },
      rebuild: { events: 50_000 },
    }
  : {
      pm: {
        users: 200,
        window: 4,
        perConnectionRate: 0,
        textSize: 100,
        warmupMs: 2000,
        durationMs: 8000,
        relayRuns: 2,
      },
      login: { users: 200, loginsPerS: 50, mePerS: 50, warmupMs: 2000, durationMs: 10_000 },
      loginStorm: { users: 200, messagesPerS: 20, loginsPerS: 30, warmupMs: 2000, durationMs: 15_000 },
      connections: { connections: 5000 },
      search: { users: 100_000, warmupMs: 1000, durationMs: 5000 },
      rebuild: { events: 1_000_000 },
    };

interface EngineResults {
  pm?: PmResult;
  projection_lag_p99_ms?: number | null;
  login?: LoginResult;
  login_storm?: LoginStormResult;
  connections?: IdleResult;
  search?: SearchResult;
  rebuild?: RebuildTaskResult;
  errors: Record<string, string>;
}

async function rebuildBench(target: Target, events: number): Promise<RebuildTaskResult> {
  const ws = workspace(target, 'rebuild');
  const task = BenchChild.start('tasks/rebuild.ts');
  try {
    return await task.call<RebuildTaskResult>({ events, dataDir: ws.dataDir, env: ws.env }, 1_800_000);
  } finally {
    await task.stop();
    await ws.cleanUp();
  }
}

async function runAll(target: Target): Promise<EngineResults> {
  const results: EngineResults = { errors: {} };
  const step = async <T>(name: Scenario, run: () => Promise<T>, keep: (r: T) => void) => {
    if (!only.includes(name)) return;
    const started = Date.now();
    process.stderr.write(`[${target.engine}] ${name} ...`);
    try {
      keep(await run());
      process.stderr.write(` ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
    } catch (error) {
      results.errors[name] = (error as Error).message;
      process.stderr.write(` FAILED: ${(error as Error).message}\n`);
    }
  };
  await step(
    'pm',
    () => pmBench(target, PLAN.pm),
    (r) => {
      results.pm = r;
      results.projection_lag_p99_ms = r.projection_lag_p99_ms;
    },
  );
  await step(
    'login',
    () => loginBench(target, PLAN.login),
    (r) => {
      results.login = r;
    },
  );
  await step(
    'login-storm',
    () => loginStormBench(target, PLAN.loginStorm),
    (r) => {
      results.login_storm = r;
    },
  );
  await step(
    'connections',
    () => idleBench(target, PLAN.connections),
    (r) => {
      results.connections = r;
    },
  );
  await step(
    'search',
    () => searchBench(target, PLAN.search),
    (r) => {
      results.search = r;
    },
  );
  await step(
    'rebuild',
    () => rebuildBench(target, PLAN.rebuild.events),
    (r) => {
      results.rebuild = r;
    },
  );
  return results;
}

interface Goal {
  metric: string;
  value: number | null | undefined;
  goal: string;
  met: boolean | null;
}

function goals(r: EngineResults): Goal[] {
  const atLeast = (metric: string, value: number | null | undefined, min: number): Goal => ({
    metric,
    value,
    goal: `≥ ${min}`,
    met: value == null ? null : value >= min,
  });
  const atMost = (metric: string, value: number | null | undefined, max: number): Goal => ({
    metric,
    value,
    goal: `≤ ${max}`,
    met: value == null ? null : value <= max,
  });
  return [
    atLeast('pm.ratio', r.pm?.ratio, 0.5),
    atMost('pm.p99_ms', r.pm?.p99_ms, 20),
    atMost('projection_lag_p99_ms', r.projection_lag_p99_ms, 50),
    atLeast('rebuild.events_per_s', r.rebuild?.events_per_s, 100_000),
    atLeast('rebuild.ratio', r.rebuild?.ratio, 0.25),
    atMost('login.event_loop_p99_ms', r.login?.event_loop_p99_ms, 20),
    atMost('login_storm.ratio', r.login_storm?.ratio, 2),
    atMost('connections.rss_kib_per_connection', r.connections?.rss_kib_per_connection, 20),
    atMost('search.p99_ms', r.search?.p99_ms, 5),
  ];
}

const fmt = (v: unknown): string =>
  v == null ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en-US') : String(v)) : String(v);

/** The table for the terminal and docs/benchmarks.md: figure, same-run baseline, ratio, goal. */
function table(r: EngineResults): string {
  const g = new Map(goals(r).map((x) => [x.metric, x]));
  const verdict = (metric: string) => {
    const x = g.get(metric);
    if (!x) return '';
    return `${x.goal} ${x.met === null ? '—' : x.met ? '✔' : '✘'}`;
  };
  const rows: [string, unknown, string, unknown, string][] = [
    [
      `PM throughput, msgs/s (${r.pm?.users ?? '?'} users)`,
      r.pm?.throughput_msgs_per_s,
      `plain ws relay ${fmt(r.pm?.baseline_relay_msgs_per_s)}`,
      r.pm?.ratio,
      verdict('pm.ratio'),
    ],
    [
      `PM latency p50 / p99, ms (at ${fmt(r.pm?.half_rate_msgs_per_s)} msgs/s)`,
      r.pm ? `${r.pm.p50_ms} / ${r.pm.p99_ms}` : null,
      '',
      '',
      verdict('pm.p99_ms'),
    ],
    ['projection lag p99, ms (same load)', r.projection_lag_p99_ms, '', '', verdict('projection_lag_p99_ms')],
    [
      `rebuild, events/s (${fmt(r.rebuild?.events)} events)`,
      r.rebuild?.events_per_s,
      `plain scan ${fmt(r.rebuild?.baseline_scan_rows_per_s)} rows/s`,
      r.rebuild?.ratio,
      `${verdict('rebuild.events_per_s')}; ratio ${verdict('rebuild.ratio')}`,
    ],
    [
      `login: event-loop delay p99, ms (${fmt(r.login?.logins_per_s)} logins/s)`,
      r.login?.event_loop_p99_ms,
      `argon2id capacity ${fmt(r.login?.baseline_argon2_verifies_per_s)}/s`,
      '',
      verdict('login.event_loop_p99_ms'),
    ],
    ['login: GET /users/me p99, ms', r.login?.me_p99_ms, '', '', ''],
    [
      `PM p99, ms, ${fmt(r.login_storm?.messages_per_s)}/s over HTTP with ${fmt(r.login_storm?.logins_per_s)} logins/s`,
      r.login_storm?.storm_p99_ms,
      `no logins ${fmt(r.login_storm?.quiet_p99_ms)}`,
      r.login_storm?.ratio,
      verdict('login_storm.ratio'),
    ],
    [
      `idle WebSockets: RSS per connection, KiB (${fmt(r.connections?.idle)})`,
      r.connections?.rss_kib_per_connection,
      '',
      '',
      verdict('connections.rss_kib_per_connection'),
    ],
    [`search p99, ms (${fmt(r.search?.users)} users)`, r.search?.p99_ms, '', '', verdict('search.p99_ms')],
  ];
  const header = ['measure', 'parley', 'baseline (same run)', 'ratio', 'goal'];
  const lines = [
    header,
    ...rows.map(([a, b, c, d, e]) => [a, fmt(b), c, fmt(d === '' ? null : d).replace('—', d === '' ? '' : '—'), e]),
  ];
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...lines.slice(1).map((l) => `| ${l.join(' | ')} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const info = machine();
  process.stderr.write(
    `parley bench (${quick ? 'quick' : 'full'}) on ${info.cpu}, ${info.cores} cores, Node ${info.node}\n`,
  );
  const sqlite = await runAll({ engine: 'sqlite' });
  const mongo = process.env.MONGO_URL ? await runAll({ engine: 'mongo', mongoUrl: process.env.MONGO_URL }) : null;
  const output = {
    machine: info,
    mode: quick ? 'quick' : 'full',
    seconds: Math.round((Date.now() - started) / 1000),
    engine: 'sqlite',
    pm: sqlite.pm,
    projection_lag_p99_ms: sqlite.projection_lag_p99_ms,
    rebuild: sqlite.rebuild,
    login: sqlite.login,
    login_storm: sqlite.login_storm,
    connections: sqlite.connections,
    search: sqlite.search,
    goals: goals(sqlite),
    errors: sqlite.errors,
    mongo: mongo ? { ...mongo, goals: goals(mongo) } : null,
  };
  const out = values.out ?? path.join(ROOT, 'bench', quick ? 'results-quick.json' : 'results.json');
  writeFileSync(out, `${JSON.stringify(output, null, 2)}\n`);
  console.log(
    `\nparley ${quick ? 'quick' : 'full'} bench — ${info.cpu}, ${info.cores} cores, ${info.memory_gib} GiB, Node ${info.node}, ${info.date}\n`,
  );
  console.log('embedded engine (SQLite)');
  console.log(table(sqlite));
  if (mongo) {
    console.log('\nMongoDB engine');
    console.log(table(mongo));
  }
  console.log(`\nwritten to ${path.relative(process.cwd(), out)} in ${output.seconds}s`);
  if (Object.keys(sqlite.errors).length > 0 || (mongo && Object.keys(mongo.errors).length > 0)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
