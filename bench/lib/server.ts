import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sleep } from './stats';

export const ROOT = path.resolve(__dirname, '..', '..');
const PROBE = path.join(ROOT, 'bench', 'lib', 'probe.cjs');
/** The build under test: dist/ here, or another build's dist (BENCH_DIST) to compare two builds. */
export const DIST = path.resolve(process.env.BENCH_DIST ?? path.join(ROOT, 'dist'));
const MAIN = path.join(DIST, 'main.js');

export const BENCH_SECRET = randomBytes(32).toString('hex');
/** Access tokens minted by the seeder live this long (minutes), so no run outlives them. */
export const TOKEN_LIFETIME_MIN = 120;

export function tempDataDir(label: string): string {
  return mkdtempSync(path.join(tmpdir(), `parley-bench-${label}-`));
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resident set size of a process in KiB, from /proc/<pid>/status. */
export function rssKib(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

export interface LagReading {
  lag_hooked: boolean;
  samples: number[];
  unmatched: number;
}

export interface LoopReading {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  samples: number;
}

/** A parley server under test: `node dist/main.js` in a child process, with the bench probe preloaded. */
export class ParleyServer {
  private nextProbe = 1;
  private readonly pending = new Map<number, (reply: Record<string, unknown>) => void>();
  private exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
    private readonly logFd: number,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.on('message', (msg: { probe?: number } & Record<string, unknown>) => {
      if (typeof msg?.probe !== 'number') return;
      this.pending.get(msg.probe)?.(msg);
      this.pending.delete(msg.probe);
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/messenger/ws`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /**
   * Starts the server on DATA_DIR and resolves once it answers HTTP (after its projections have
   * caught up with whatever was seeded). Logs go to DATA_DIR/server.log at the default level.
   */
  static async start(dataDir: string, env: Record<string, string> = {}, timeoutMs = 180_000): Promise<ParleyServer> {
    const port = await freePort();
    const logFd = openSync(path.join(dataDir, 'server.log'), 'a');
    const child = fork(MAIN, [], {
      cwd: ROOT,
      execArgv: ['--expose-gc', '--require', PROBE, ...(env.NODE_EXTRA_ARGS ? env.NODE_EXTRA_ARGS.split(' ') : [])],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATA_DIR: dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        SECRET_KEY: BENCH_SECRET,
        TOKEN_LIFETIME: String(TOKEN_LIFETIME_MIN),
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', logFd, logFd, 'ipc'],
    });
    const server = new ParleyServer(child, port, dataDir, logFd);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`server exited with ${child.exitCode}; see ${path.join(dataDir, 'server.log')}`);
      try {
        const res = await fetch(`${server.url}/users?search=ready`);
        await res.arrayBuffer();
        if (res.status < 500) return server;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error('server did not start in time');
      }
      await sleep(50);
    }
  }

  /** Sends a command to the probe preloaded in the server. */
  probe<T = Record<string, unknown>>(cmd: string): Promise<T> {
    const id = this.nextProbe++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`probe ${cmd} timed out`));
      }, 10_000);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply as T);
      });
      this.child.send({ probe: id, cmd });
    });
  }

  /** Waits until every projection has applied the log's head (the server has digested earlier load). */
  async settle(timeoutMs = 120_000): Promise<number> {
    const started = Date.now();
    for (;;) {
      const { backlog } = await this.probe<{ backlog: number | null }>('backlog');
      if (backlog === null || backlog <= 0) return Date.now() - started;
      if (Date.now() - started > timeoutMs)
        throw new Error(`projections still ${backlog} events behind after ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** RSS after a full GC in the server, in KiB. */
  async settledRssKib(): Promise<number> {
    await this.probe('gc');
    await sleep(200);
    await this.probe('gc');
    return rssKib(this.pid);
  }

  /** SIGTERM (graceful shutdown), SIGKILL if it takes too long; keeps the data unless `remove`. */
  async stop(remove = true): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const killed = await Promise.race([this.exited.then(() => false), sleep(15_000).then(() => true)]);
      if (killed) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    closeSync(this.logFd);
    if (remove) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
