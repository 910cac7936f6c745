/**
 * The cost of protecting personal data (docs/privacy.md), in one process, same run:
 *   1. PM throughput through the application (decide, append, every projection caught up) on the
 *      protected engine against the same pipeline on the unprotected engine, alternated A/B/A/B;
 *   2. the time to erase a user who sent 10,000 private messages: DELETE /users/me's use case, with
 *      the read-model update, and the password check (argon2, deliberately slow) shown apart.
 * Run: npm run build && node --import tsx bench/privacy.ts [--quick]. Prints JSON; writes nothing else.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startParley, type RunningParley } from '../src/app';
import { Accounts, type Principal } from '../src/app/accounts';
import { commandHandler } from '../src/app/execute';
import { Messaging } from '../src/app/messaging';
import { hashPassword, verifyPassword } from '../src/auth/passwords';
import { Tokens } from '../src/auth/tokens';
import { loadConfig, type Config } from '../src/config';
import { PROJECTIONS } from '../src/projections';
import { ProjectionRunner } from '../src/projections/runner';
import { openSqliteEngine, sqliteFileIn } from '../src/store/sqlite';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const PMS = values.quick ? 2_000 : 10_000;
const IN_FLIGHT = 64;
const ERASE_MESSAGES = values.quick ? 1_000 : 10_000;
const log = pino({ level: 'silent' });
const ctx = { correlationId: 'bench' };

interface Pipeline {
  accounts: Accounts;
  messaging: Messaging;
  projector: ProjectionRunner;
  close(): Promise<void>;
}

function freshConfig(): Config {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-bench-privacy-'));
  return loadConfig({ DATA_DIR: dataDir, SECRET_KEY: 'x'.repeat(32), LOG_LEVEL: 'silent' });
}

/** The application on a fresh SQLite engine: protected as startParley makes it, or the same without the codec. */
async function pipeline(protect: boolean): Promise<Pipeline & { parley?: RunningParley }> {
  const config = freshConfig();
  const engine = openSqliteEngine({ file: sqliteFileIn(config.dataDir) });
  const cleanUp = async (projector: ProjectionRunner) => {
    await projector.stop();
    await engine.close();
    rmSync(config.dataDir, { recursive: true, force: true });
  };
  if (protect) {
    const parley = await startParley(config, log, engine);
    return { ...parley, parley, close: () => cleanUp(parley.projector) };
  }
  const projector = new ProjectionRunner(engine, PROJECTIONS, log);
  await projector.start();
  const deps = { engine, projector, tokens: new Tokens(config), log, handle: commandHandler(engine.events, projector) };
  return { accounts: new Accounts(deps), messaging: new Messaging(deps), projector, close: () => cleanUp(projector) };
}

async function twoUsers(p: Pipeline, password: string): Promise<[Principal, Principal]> {
  const users = [];
  for (const name of ['bench_alice', 'bench_bob']) {
    const row = await p.accounts.register(
      { username: name, email: `${name}@example.test`, password, first_name: 'Bench' },
      ctx,
    );
    users.push({ user_id: row.user_id, username: row.username, session_id: 'bench' });
  }
  return users as [Principal, Principal];
}

/** Sends `count` PMs from a to b, IN_FLIGHT at a time; resolves once every projection has them. */
async function sendPms(p: Pipeline, a: Principal, b: Principal, count: number): Promise<number> {
  let next = 0;
  let last = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const sent = await p.messaging.sendPrivate(a, b.username, `message ${i} ${'x'.repeat(80)}`, undefined, ctx);
      last = Math.max(last, sent.position);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await p.projector.waitFor(last, 120_000);
  return last;
}

async function pmThroughput(protect: boolean): Promise<number> {
  const p = await pipeline(protect);
  try {
    const [a, b] = await twoUsers(p, 'bench password');
    await sendPms(p, a, b, 500); // warm-up
    const started = performance.now();
    await sendPms(p, a, b, PMS);
    return PMS / ((performance.now() - started) / 1000);
  } finally {
    await p.close();
  }
}

async function eraseTime(): Promise<Record<string, number>> {
  const p = await pipeline(true);
  try {
    const password = 'bench password';
    const [a, b] = await twoUsers(p, password);
    await sendPms(p, a, b, ERASE_MESSAGES);
    const hash = await hashPassword(password);
    const checkStarted = performance.now();
    await verifyPassword(hash, password);
    const passwordCheckMs = performance.now() - checkStarted;
    const started = performance.now();
    await p.parley!.privacy.erase(a, password, ctx);
    const totalMs = performance.now() - started;
    return {
      sent_messages: ERASE_MESSAGES,
      erase_total_ms: Math.round(totalMs),
      password_check_ms: Math.round(passwordCheckMs),
      erase_without_password_check_ms: Math.round(totalMs - passwordCheckMs),
    };
  } finally {
    await p.close();
  }
}

async function main(): Promise<void> {
  const runs: { plain: number[]; protected: number[] } = { plain: [], protected: [] };
  for (let i = 0; i < 2; i++) {
    runs.plain.push(await pmThroughput(false));
    runs.protected.push(await pmThroughput(true));
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const cost = 1 - mean(runs.protected) / mean(runs.plain);
  console.log(
    JSON.stringify(
      {
        pm: {
          pms_per_run: PMS,
          in_flight: IN_FLIGHT,
          plain_pm_per_s: runs.plain.map(Math.round),
          protected_pm_per_s: runs.protected.map(Math.round),
          encryption_cost_percent: Math.round(cost * 1000) / 10,
          goal_percent: 10,
        },
        erase: { ...(await eraseTime()), goal_ms: 1000 },
      },
      null,
      2,
    ),
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
