/**
 * The WebSocket load client, run in its own process (forked by the bench) so that client work does
 * not share the server's event loop. It drives parley's /messenger/ws and the plain relay baseline
 * with the very same code: JSON frames {type:'pm',to,text,ref}, answered by pm frames to sender and
 * recipient and an ack to the sender.
 *
 * Commands arrive over IPC: connect → run (one or more phases) → close. Each gets one reply.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { summarize, type Summary } from '../lib/stats';

export interface ClientUser {
  username: string;
  /** Access token (parley) or the username itself (relay). */
  token: string;
}

export interface ConnectCommand {
  cmd: 'connect';
  url: string;
  users: ClientUser[];
  /** Upgrades in flight at once. */
  concurrency: number;
}

export interface RunCommand {
  cmd: 'run';
  /** saturate: each connection keeps `window` PMs unacknowledged; rate: `rate` PMs/s in total, open loop. */
  mode: 'saturate' | 'rate';
  window: number;
  rate: number;
  /** Per-connection send ceiling (msgs/s) in saturate mode, to stay under a server's per-connection limit. */
  perConnectionRate: number | null;
  warmupMs: number;
  durationMs: number;
  textSize: number;
}

export interface ConnectResult {
  connected: number;
  failed: number;
  failures: Record<string, number>;
  ms: number;
}

export interface RunResult {
  sent: number;
  /** PMs received by their recipient inside the measured window. */
  delivered: number;
  delivered_per_s: number;
  acked: number;
  errors: Record<string, number>;
  /** Measured PMs that never reached their recipient by the end of the drain. */
  undelivered: number;
  latency_ms: Summary;
}

interface Conn {
  user: ClientUser;
  ws: WebSocket;
  inFlight: number;
  nextSendAt: number;
  timer: NodeJS.Timeout | null;
}

class LoadClient {
  private conns: Conn[] = [];
  private seq = 0;
  /** Send time of each PM not yet received, by its sequence number. */
  private sentAt = new Map<number, number>();
  /** PMs with sequence numbers in [firstMeasured, lastMeasured] were sent inside the window: their latencies count. */
  private firstMeasured = Infinity;
  private lastMeasured = Infinity;
  private phase: (RunCommand & { active: boolean; measuring: boolean; padding: string }) | null = null;
  private counts = { sent: 0, delivered: 0, acked: 0 };
  private errors: Record<string, number> = {};
  private latencies: number[] = [];

  async connect(c: ConnectCommand): Promise<ConnectResult> {
    const started = performance.now();
    const failures: Record<string, number> = {};
    let next = 0;
    const worker = async () => {
      while (next < c.users.length) {
        const user = c.users[next++];
        try {
          this.conns.push(await this.open(c.url, user));
        } catch (error) {
          const key = (error as Error).message.slice(0, 80);
          failures[key] = (failures[key] ?? 0) + 1;
        }
      }
    };
    await Promise.all(Array.from({ length: c.concurrency }, worker));
    const failed = Object.values(failures).reduce((a, b) => a + b, 0);
    return { connected: this.conns.length, failed, failures, ms: Math.round(performance.now() - started) };
  }

  /** Opens a connection and resolves once the server's history frame arrived. */
  private open(url: string, user: ClientUser): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${url}?token=${encodeURIComponent(user.token)}`, { perMessageDeflate: false });
      const conn: Conn = { user, ws, inFlight: 0, nextSendAt: 0, timer: null };
      const timeout = setTimeout(() => {
        ws.terminate();
        reject(new Error('no history frame within 30 s'));
      }, 30_000);
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timeout);
        reject(new Error(`upgrade refused: ${res.statusCode}`));
      });
      ws.once('error', (error) => {
        clearTimeout(timeout);
        reject(error);
      });
      ws.on('message', (data) => {
        const frame = JSON.parse(data.toString());
        if (frame.type === 'history') {
          clearTimeout(timeout);
          ws.removeAllListeners('error');
          ws.on('error', () => this.count('socket_error'));
          ws.on('close', (code) => this.count(`closed_${code}`));
          resolve(conn);
          return;
        }
        this.onFrame(conn, frame);
      });
    });
  }

  private count(key: string): void {
    this.errors[key] = (this.errors[key] ?? 0) + 1;
  }

  private onFrame(
    conn: Conn,
    frame: { type: string; from?: string; to?: string; text?: string; ref?: string; code?: string },
  ): void {
    switch (frame.type) {
      case 'pm': {
        if (frame.from === conn.user.username) return; // the sender's own copy
        const seq = Number(frame.text!.slice(0, frame.text!.indexOf('|')));
        const sent = this.sentAt.get(seq);
        if (sent === undefined) return;
        this.sentAt.delete(seq);
        if (this.phase?.measuring) this.counts.delivered++;
        if (seq >= this.firstMeasured && seq <= this.lastMeasured) this.latencies.push(performance.now() - sent);
        return;
      }
      case 'ack':
        this.counts.acked++;
        this.settled(conn);
        return;
      case 'error':
        this.count(frame.code ?? 'error');
        if (frame.ref !== undefined) {
          // A refused PM will not be delivered: stop waiting for it.
          this.sentAt.delete(Number(frame.ref.slice(1)));
          this.settled(conn);
        }
        return;
      default:
    }
  }

  /** A PM of this connection was answered: in saturate mode, send the next one. */
  private settled(conn: Conn): void {
    conn.inFlight = Math.max(0, conn.inFlight - 1);
    if (this.phase?.active && this.phase.mode === 'saturate') this.fill(conn);
  }

  private fill(conn: Conn): void {
    const phase = this.phase!;
    while (phase.active && conn.inFlight < phase.window) {
      if (phase.perConnectionRate) {
        const now = performance.now();
        if (now < conn.nextSendAt) {
          conn.timer ??= setTimeout(() => {
            conn.timer = null;
            this.fill(conn);
          }, conn.nextSendAt - now);
          return;
        }
        conn.nextSendAt = Math.max(now, conn.nextSendAt) + 1000 / phase.perConnectionRate;
      }
      this.send(conn);
    }
  }

  private send(conn: Conn): void {
    const phase = this.phase!;
    let to = this.conns[Math.floor(Math.random() * this.conns.length)];
    if (to === conn) to = this.conns[(this.conns.indexOf(conn) + 1) % this.conns.length]!;
    const seq = ++this.seq;
    const head = `${seq}|`;
    const text = head + phase.padding.slice(head.length);
    this.sentAt.set(seq, performance.now());
    conn.inFlight++;
    this.counts.sent++;
    conn.ws.send(JSON.stringify({ type: 'pm', to: to.user.username, text, ref: `b${seq}` }));
  }

  async run(r: RunCommand): Promise<RunResult> {
    this.counts = { sent: 0, delivered: 0, acked: 0 };
    this.errors = {};
    this.latencies = [];
    this.sentAt.clear();
    this.firstMeasured = Infinity;
    this.lastMeasured = Infinity;
    for (const conn of this.conns) conn.inFlight = 0;
    this.phase = { ...r, active: true, measuring: false, padding: 'x'.repeat(r.textSize) };
    const phase = this.phase;
    let pacer: NodeJS.Timeout | null = null;
    const started = performance.now();
    if (r.mode === 'saturate') {
      for (const conn of this.conns) this.fill(conn);
    } else {
      let due = 0;
      let last = started;
      pacer = setInterval(() => {
        const now = performance.now();
        due += ((now - last) * r.rate) / 1000;
        last = now;
        while (due >= 1) {
          due -= 1;
          this.send(this.conns[Math.floor(Math.random() * this.conns.length)]);
        }
      }, 1);
    }
    await new Promise((resolve) => setTimeout(resolve, r.warmupMs));
    this.counts.delivered = 0;
    phase.measuring = true;
    this.firstMeasured = this.seq + 1;
    const measureStart = performance.now();
    await new Promise((resolve) => setTimeout(resolve, r.durationMs));
    phase.active = false;
    this.lastMeasured = this.seq;
    if (pacer) clearInterval(pacer);
    for (const conn of this.conns) if (conn.timer) (clearTimeout(conn.timer), (conn.timer = null));
    const measured = performance.now() - measureStart;
    const delivered = this.counts.delivered;
    phase.measuring = false;
    // Let messages sent in the window arrive, so their latencies count (late ones are the tail).
    const pendingMeasured = () =>
      [...this.sentAt.keys()].filter((seq) => seq >= this.firstMeasured && seq <= this.lastMeasured).length;
    const drainUntil = performance.now() + 5000;
    while (pendingMeasured() > 0 && performance.now() < drainUntil)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const result: RunResult = {
      sent: this.counts.sent,
      delivered,
      delivered_per_s: Math.round((delivered / measured) * 1000),
      acked: this.counts.acked,
      errors: { ...this.errors },
      undelivered: pendingMeasured(),
      latency_ms: summarize(this.latencies),
    };
    this.phase = null;
    return result;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.conns.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.ws.readyState === WebSocket.CLOSED) return resolve();
            c.ws.once('close', () => resolve());
            c.ws.close();
            setTimeout(() => {
              c.ws.terminate();
              resolve();
            }, 2000).unref();
          }),
      ),
    );
    this.conns = [];
  }
}

const client = new LoadClient();
process.on('message', async (msg: ConnectCommand | RunCommand | { cmd: 'close' }) => {
  try {
    if (msg.cmd === 'connect') process.send!({ ok: true, result: await client.connect(msg) });
    else if (msg.cmd === 'run') process.send!({ ok: true, result: await client.run(msg) });
    else if (msg.cmd === 'close') {
      await client.close();
      process.send!({ ok: true, result: null });
    }
  } catch (error) {
    process.send!({ ok: false, error: (error as Error).stack ?? String(error) });
  }
});
process.on('disconnect', () => process.exit(0));
