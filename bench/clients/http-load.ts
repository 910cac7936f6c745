/**
 * The HTTP load client, in its own process: open-loop request streams at fixed rates (logins and
 * /users/me), or closed-loop latency runs over a list of paths. Plain node:http with keep-alive,
 * so client overhead stays small next to what is measured.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { summarize, type Summary } from '../lib/stats';

export interface Stream {
  name: string;
  method: 'GET' | 'POST';
  /** Requests per second, sent on schedule whatever the replies do. */
  rate: number;
  /** Each request takes the next entry, round robin. */
  requests: { path: string; body?: unknown; token?: string }[];
}

export interface RateCommand {
  cmd: 'rate';
  url: string;
  streams: Stream[];
  warmupMs: number;
  durationMs: number;
}

export interface LatencyCommand {
  cmd: 'latency';
  url: string;
  /** Groups of GET paths, each group summarised on its own; requests alternate between groups. */
  groups: Record<string, string[]>;
  concurrency: number;
  durationMs: number;
  warmupMs: number;
}

export interface StreamResult {
  requests: number;
  statuses: Record<string, number>;
  latency_ms: Summary;
  per_s: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function request(url: string, method: string, path: string, body?: unknown, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    if (token) headers.authorization = `Bearer ${token}`;
    const req = http.request(`${url}${path}`, { method, headers, agent }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

class Recorder {
  latencies: number[] = [];
  statuses: Record<string, number> = {};
  requests = 0;

  record(status: string, ms: number, measured: boolean): void {
    if (!measured) return;
    this.requests++;
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    this.latencies.push(ms);
  }

  result(durationMs: number): StreamResult {
    return {
      requests: this.requests,
      statuses: this.statuses,
      latency_ms: summarize(this.latencies),
      per_s: Math.round((this.requests / durationMs) * 1000 * 10) / 10,
    };
  }
}

async function timed(rec: Recorder, measured: () => boolean, send: () => Promise<number>): Promise<void> {
  const started = performance.now();
  const inWindow = measured();
  try {
    const status = await send();
    rec.record(String(status), performance.now() - started, inWindow);
  } catch (error) {
    rec.record((error as NodeJS.ErrnoException).code ?? 'error', performance.now() - started, inWindow);
  }
}

async function rateRun(c: RateCommand): Promise<Record<string, StreamResult>> {
  let measuring = false;
  const inFlight = new Set<Promise<void>>();
  const recorders = new Map(c.streams.map((s) => [s.name, new Recorder()]));
  const timers = c.streams.map((s) => {
    const rec = recorders.get(s.name)!;
    let next = 0;
    let due = 0;
    let last = performance.now();
    return setInterval(() => {
      const now = performance.now();
      due += ((now - last) * s.rate) / 1000;
      last = now;
      while (due >= 1) {
        due -= 1;
        const r = s.requests[next++ % s.requests.length];
        const p = timed(
          rec,
          () => measuring,
          () => request(c.url, s.method, r.path, r.body, r.token),
        );
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
    }, 2);
  });
  await new Promise((resolve) => setTimeout(resolve, c.warmupMs));
  measuring = true;
  await new Promise((resolve) => setTimeout(resolve, c.durationMs));
  measuring = false;
  for (const t of timers) clearInterval(t);
  await Promise.all(inFlight);
  return Object.fromEntries([...recorders].map(([name, rec]) => [name, rec.result(c.durationMs)]));
}

async function latencyRun(c: LatencyCommand): Promise<Record<string, StreamResult>> {
  const names = Object.keys(c.groups);
  const recorders = new Map(names.map((n) => [n, new Recorder()]));
  let measuring = false;
  let stop = false;
  let i = 0;
  const worker = async () => {
    while (!stop) {
      const name = names[i % names.length];
      const paths = c.groups[name];
      const path = paths[Math.floor(i / names.length) % paths.length];
      i++;
      await timed(
        recorders.get(name)!,
        () => measuring,
        () => request(c.url, 'GET', path),
      );
    }
  };
  const workers = Array.from({ length: c.concurrency }, worker);
  await new Promise((resolve) => setTimeout(resolve, c.warmupMs));
  measuring = true;
  await new Promise((resolve) => setTimeout(resolve, c.durationMs));
  measuring = false;
  stop = true;
  await Promise.all(workers);
  return Object.fromEntries([...recorders].map(([name, rec]) => [name, rec.result(c.durationMs)]));
}

process.on('message', async (msg: RateCommand | LatencyCommand) => {
  try {
    const result = msg.cmd === 'rate' ? await rateRun(msg) : await latencyRun(msg);
    process.send!({ ok: true, result });
  } catch (error) {
    process.send!({ ok: false, error: (error as Error).stack ?? String(error) });
  }
});
process.on('disconnect', () => process.exit(0));
