import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { TEST_SECRET } from './server';
import { NO_RATE_LIMITS } from './suite';

const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'dist');

/** Only what a child needs: no MONGO_* or DATA_DIR leaking in from the developer's shell. */
function childEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', SECRET_KEY: TEST_SECRET, LOG_LEVEL: 'silent', ...NO_RATE_LIMITS, ...env };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** A file fed to the CLI's stdin. */
  stdinFile?: string;
  /** A file the CLI's stdout is written to (instead of being collected). */
  stdoutFile?: string;
  /** Like `| head -n 1`: once a whole line has arrived, this end of the stdout pipe is closed. */
  closeStdoutAfterFirstLine?: boolean;
}

/** Runs the CLI through the package's bin (`node bin/parley.js ...`) as an operator would, to completion. */
export async function runCli(args: string[], env: Record<string, string>, options: CliOptions = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'parley.js'), ...args], {
    env: childEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  let written: Promise<void> = Promise.resolve();
  if (options.stdoutFile) {
    const file = createWriteStream(options.stdoutFile);
    child.stdout.pipe(file);
    written = new Promise((resolve, reject) => file.on('finish', resolve).on('error', reject));
  } else {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (options.closeStdoutAfterFirstLine && stdout.includes('\n')) child.stdout.destroy();
    });
  }
  if (options.stdinFile) createReadStream(options.stdinFile).pipe(child.stdin);
  else child.stdin.end();
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  await written;
  return { code, stdout, stderr };
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `node dist/main.js` in a process of its own and resolves once it listens. */
export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [path.join(DIST, 'main.js')], {
    env: childEnv({ HOST: '127.0.0.1', PORT: '0', ...env, LOG_LEVEL: 'info' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'parley is listening' && entry.url)
          resolve({ url: entry.url.replace('localhost', '127.0.0.1'), child, stop });
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening: ${stderr}`)));
  });
}
