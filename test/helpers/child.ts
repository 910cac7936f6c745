import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { TEST_SECRET } from './server';
import { NO_RATE_LIMITS } from './suite';

const MAIN = path.resolve(__dirname, '../../dist/main.js');
const START_TIMEOUT_MS = 15_000;

/** A port nothing listens on right now (the OS picks it; we let go of it at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface ChildServer {
  process: ChildProcess;
  url: string;
  port: number;
  /** Every log line (pino JSON) the child wrote to stdout so far. */
  logs: Record<string, unknown>[];
  /** Resolves with the exit code (or the signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once a log line with this message has been written. */
  logged(msg: string): Promise<Record<string, unknown>>;
}

/**
 * `node dist/main.js` as its own process, on 127.0.0.1:port with this DATA_DIR (build first:
 * `npm test` does). Resolves once it is listening.
 */
export async function startChild(
  dataDir: string,
  port: number,
  env: Record<string, string> = {},
): Promise<ChildServer> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  const child = spawn(process.execPath, [MAIN], {
    // Not the whole environment: a MONGO_URL set for the conformance suite must not move this server off SQLite.
    env: {
      PATH: process.env.PATH ?? '',
      ...NO_RATE_LIMITS,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      SECRET_KEY: TEST_SECRET,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters: { msg: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const text of lines) {
      if (!text.trim()) continue;
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text);
      } catch {
        line = { msg: text };
      }
      logs.push(line);
      for (const w of waiters.filter((w) => w.msg === line.msg)) w.resolve(line);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const logged = (msg: string) => {
    const seen = logs.find((l) => l.msg === msg);
    return seen
      ? Promise.resolve(seen)
      : new Promise<Record<string, unknown>>((resolve) => waiters.push({ msg, resolve }));
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      logged('parley is listening'),
      exited.then(({ code }) => {
        throw new Error(`parley exited (${code}) before listening: ${stderr}`);
      }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`parley did not start: ${stderr}`)), START_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return { process: child, url: `http://127.0.0.1:${port}`, port, logs, exited, logged };
}

/** Ends a child that a test left running (a failed test), so no process outlives the run. */
export async function killChild(child: ChildServer | undefined): Promise<void> {
  if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGKILL');
  await child.exited;
}
