/**
 * Append latency of a live server while `parley rebuild` runs beside it on the same DATA_DIR.
 *
 *   node --import tsx bench/tasks/append-beside-rebuild.ts [--events 1000000] [--rate 100] [--out FILE]
 *   BENCH_DIST=/other/dist node --import tsx bench/tasks/append-beside-rebuild.ts   # another build
 *
 * Writes a synthetic log of N events (the generator `parley bench-rebuild` uses) into a fresh
 * DATA_DIR, brings the read models to its head with one `parley rebuild`, starts the server on it,
 * then sends private messages over one WebSocket at a fixed rate (open loop) and times each from
 * send to `ack` (the ack follows the append's durable commit): first for a baseline window with
 * nothing beside the server, then for as long as a second `parley rebuild` of the whole log runs.
 * Not part of `npm test` nor of `npm run bench` (it takes minutes).
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { syntheticLog } from '../../src/cli/synthetic-log';
import { BENCH_SECRET, DIST, ParleyServer, tempDataDir } from '../lib/server';
import { sleep, summarize } from '../lib/stats';

type DistSqlite = typeof import('../../src/store/sqlite');

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    rate: { type: 'string', default: '100' },
    baseline: { type: 'string', default: '5' },
    out: { type: 'string' },
  },
});
const EVENTS = Number(values.events);
const RATE = Number(values.rate);
const BASELINE_S = Number(values.baseline);

function cli(args: string[], dataDir: string): Promise<{ code: number | null; seconds: number; stderr: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(DIST, 'cli.js'), ...args], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, SECRET_KEY: BENCH_SECRET, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  return new Promise((resolve) =>
    child.once('close', (code) => {
      resolve({ code, seconds: (performance.now() - started) / 1000, stderr: stderr.slice(-2000) });
    }),
  );
}

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function register(url: string, name: string): Promise<string> {
  const json = { username: name, email: `${name}@bench.test`, password: 'bench-password-1' };
  const created = await post(`${url}/users/create`, json);
  if (created.status !== 201) throw new Error(`register: ${created.status} ${await created.text()}`);
  const login = await post(`${url}/auth/login`, { username: name, password: json.password });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
  return ((await login.json()) as { access_token: string }).access_token;
}

interface Window {
  latencies: number[];
  errors: number;
  unanswered: number;
}

/** Sends PMs at RATE per second until `until` resolves, timing each one's ack. */
async function measure(ws: WebSocket, to: string, until: Promise<unknown>): Promise<Window> {
  const sentAt = new Map<string, number>();
  const window: Window = { latencies: [], errors: 0, unanswered: 0 };
  const onMessage = (data: WebSocket.RawData) => {
    const frame = JSON.parse(data.toString()) as { type: string; ref?: string };
    if (!frame.ref || !sentAt.has(frame.ref)) return;
    if (frame.type === 'ack') window.latencies.push(performance.now() - sentAt.get(frame.ref)!);
    else if (frame.type === 'error') window.errors++;
    sentAt.delete(frame.ref);
  };
  ws.on('message', onMessage);
  let done = false;
  void until.then(() => {
    done = true;
  });
  const started = performance.now();
  for (let i = 0; !done; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const ref = `r${Math.random().toString(36).slice(2)}`;
    sentAt.set(ref, performance.now());
    ws.send(JSON.stringify({ type: 'pm', to, text: `beside the rebuild ${i}`, ref }));
  }
  // Answers still on their way count too: a late ack is a slow append, not a missing one.
  const deadline = Date.now() + 30_000;
  while (sentAt.size > 0 && Date.now() < deadline) await sleep(20);
  window.unanswered = sentAt.size;
  ws.off('message', onMessage);
  return window;
}

const report = (w: Window) => ({ ...summarize(w.latencies), errors: w.errors, unanswered: w.unanswered });

async function main(): Promise<void> {
  const dataDir = tempDataDir('append-beside-rebuild');
  try {
    const sqlite = require(path.join(DIST, 'store', 'sqlite')) as DistSqlite;
    const seedStarted = performance.now();
    const engine = sqlite.openSqliteEngine({ file: sqlite.sqliteFileIn(dataDir) });
    for (const batch of syntheticLog(EVENTS)) await engine.events.importEvents(batch);
    await engine.close();
    const first = await cli(['rebuild'], dataDir);
    if (first.code !== 0) throw new Error(`first rebuild failed: ${first.stderr}`);
    const seeded = ((performance.now() - seedStarted) / 1000).toFixed(1);
    process.stderr.write(`seeded ${EVENTS} events and rebuilt once in ${seeded}s\n`);

    const server = await ParleyServer.start(dataDir, { WS_RATE_LIMIT: '1000000', WS_RATE_BURST: '1000000' });
    try {
      const alice = await register(server.url, 'alice_bench');
      await register(server.url, 'bob_bench');
      const ws = new WebSocket(`${server.wsUrl}?token=${encodeURIComponent(alice)}`);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const baseline = await measure(ws, 'bob_bench', sleep(BASELINE_S * 1000));
      const rebuild = cli(['rebuild'], dataDir);
      const during = await measure(ws, 'bob_bench', rebuild);
      const rebuilt = await rebuild;
      ws.close();
      const result = {
        dist: DIST,
        events: EVENTS,
        rate_per_s: RATE,
        rebuild: {
          exit_code: rebuilt.code,
          seconds: Number(rebuilt.seconds.toFixed(1)),
          stderr: rebuilt.code === 0 ? undefined : rebuilt.stderr,
        },
        append_ack_ms: { baseline: report(baseline), during_rebuild: report(during) },
      };
      const text = JSON.stringify(result, null, 2);
      console.log(text);
      if (values.out) require('node:fs').writeFileSync(values.out, `${text}\n`);
    } finally {
      await server.stop(false);
    }
  } catch (error) {
    process.stderr.write(`server log: ${path.join(dataDir, 'server.log')}\n`);
    throw error;
  }
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
