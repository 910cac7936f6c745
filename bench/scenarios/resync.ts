import WebSocket from 'ws';
import { encodeCursor } from '../../src/edge/cursor';
import { seedMessages, seedUsers, type SeededUser } from '../lib/seed';
import { round, summarize, type Summary } from '../lib/stats';
import { withProcesses, workspace, type Target } from './target';
import { frameText } from '../lib/ws';

export interface ResyncOptions {
  users: number;
  /** Frames the reconnecting user missed: private messages to them, spread through the traffic. */
  missed: number;
  /** Private messages among everyone else in each run, while the user was away (one run per entry). */
  others: number[];
  /** Resyncs measured per run (after a few unmeasured ones). */
  samples: number;
}

export interface ResyncRun {
  /** Messages other users exchanged while the user was away. */
  others_messages: number;
  /** Socket open → the sync frame with every missed frame: the server's work plus loopback. */
  ws_sync_ms: Summary;
  /** The same over GET /messenger/sync?limit=1000, whole request. */
  http_sync_ms: Summary;
  startup_ms: number;
}

export interface ResyncResult {
  missed: number;
  /** The worst ws p99 of the runs: the figure against the goal. */
  p99_ms: number;
  runs: ResyncRun[];
}

const WARMUP = 5;

/** One resync over the socket: resolves with the open → sync-frame time, after checking the frame. */
function wsResync(url: string, token: string, since: string, expected: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}?since=${since}`, ['parley', token]);
    let opened = 0;
    ws.once('open', () => {
      opened = performance.now();
    });
    ws.once('message', (data) => {
      const took = performance.now() - opened;
      const frame = JSON.parse(frameText(data)) as { type: string; limited: boolean; frames: unknown[] };
      ws.close();
      if (frame.type !== 'sync' || frame.limited || frame.frames.length !== expected) {
        reject(
          new Error(
            `expected a sync of ${expected} frames, got ${frame.type} limited=${frame.limited} ${frame.frames?.length}`,
          ),
        );
      } else resolve(took);
    });
    ws.once('error', reject);
  });
}

async function httpResync(url: string, token: string, since: string, expected: number): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/messenger/sync?since=${since}&limit=1000`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { frames: unknown[]; limited: boolean };
  const took = performance.now() - started;
  if (res.status !== 200 || body.limited || body.frames.length !== expected)
    throw new Error(`GET /messenger/sync: ${res.status}`);
  return took;
}

async function resyncRun(target: Target, o: ResyncOptions, others: number): Promise<ResyncRun> {
  const ws = workspace(target, `resync-${others}`);
  try {
    const engine = await ws.openEngine();
    const users = await seedUsers(engine, { count: o.users, sessions: true, chunk: 5000 });
    const reader: SeededUser = users[0];
    // Traffic before the user left, so the cursor is not at the start of the log.
    await seedMessages(engine, users.slice(1), 1000, { seed: 5 });
    const since = encodeCursor(await engine.events.headPosition());
    // One message in every `every` goes to the reader; the others are among the other users only.
    const every = 1 + Math.round(others / o.missed);
    await seedMessages(engine, users.slice(1), o.missed * every, { seed: 13, toward: { user: reader, every } });
    await engine.close();
    return await withProcesses(async (track) => {
      const t = Date.now();
      const server = track(await ws.startServer());
      await server.settle();
      const startupMs = Date.now() - t;
      const wsTimes: number[] = [];
      const httpTimes: number[] = [];
      for (let i = 0; i < WARMUP + o.samples; i++) {
        const a = await wsResync(server.wsUrl, reader.access_token!, since, o.missed);
        const b = await httpResync(server.url, reader.access_token!, since, o.missed);
        if (i >= WARMUP) {
          wsTimes.push(a);
          httpTimes.push(b);
        }
      }
      return {
        others_messages: o.missed * (every - 1),
        ws_sync_ms: summarize(wsTimes),
        http_sync_ms: summarize(httpTimes),
        startup_ms: startupMs,
      };
    });
  } finally {
    await ws.cleanUp();
  }
}

/**
 * A user reconnects with the cursor they had before `missed` private messages reached them, spread
 * among other users' traffic; each run has more of that traffic, which must not change the figure
 * (the feed read model reads only this user's rows and everyone's).
 */
export async function resyncBench(target: Target, o: ResyncOptions): Promise<ResyncResult> {
  const runs: ResyncRun[] = [];
  for (const others of o.others) runs.push(await resyncRun(target, o, others));
  return { missed: o.missed, p99_ms: round(Math.max(...runs.map((r) => r.ws_sync_ms.p99))), runs };
}
