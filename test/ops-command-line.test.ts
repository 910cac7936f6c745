import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'dotenv';
import { freePort, killChild, startChild, type ChildServer } from './helpers/child';
import { client, registerAndLogin } from './helpers/http';
import { TEST_SECRET, tempDataDir } from './helpers/server';
import { NO_RATE_LIMITS } from './helpers/suite';

const ROOT = path.resolve(__dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'main.js');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node dist/main.js args…` with a minimal environment, to its exit (or killed after 15 s). */
function main(args: string[], env: Record<string, string> = {}): Promise<Exited> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', SECRET_KEY: TEST_SECRET, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collect(child);
}

function collect(child: ChildProcess): Promise<Exited> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('node dist/main.js on the command line', function () {
  this.timeout(60_000);
  const dataDir = tempDataDir();
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints usage naming every setting of .env.example for --help and -h, and starts nothing', async () => {
    const settings = Object.keys(parse(readFileSync(path.join(ROOT, '.env.example'), 'utf8')));
    expect(settings.length).to.be.above(15);
    for (const flag of ['--help', '-h']) {
      const run = await main([flag], { DATA_DIR: dataDir });
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^Usage: node dist\/main\.js/);
      expect(run.stdout).to.include('.env.example');
      expect(
        settings.filter((name) => !run.stdout.includes(name)),
        'not in --help',
      ).to.deep.equal([]);
      expect(run.stdout).not.to.include('listening');
    }
  });

  it('prints the package version for --version', async () => {
    const run = await main(['--version'], { DATA_DIR: dataDir });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.equal(`${VERSION}\n`);
  });

  it('refuses unknown flags and arguments with exit 2, before starting', async () => {
    for (const args of [['--port', '9000'], ['serve'], ['--help=yes']]) {
      const run = await main(args, { DATA_DIR: dataDir });
      expect(run.code, args.join(' ')).to.equal(2);
      expect(run.stderr).to.match(/^parley: .+\n\(try: node dist\/main\.js --help\)\n$/);
      expect(run.stdout).to.equal('');
    }
  });
});

describe('server logs for people and for machines (LOG_FORMAT)', function () {
  this.timeout(60_000);
  const dataDir = tempDataDir();
  let server: ChildServer | undefined;
  afterEach(() => killChild(server));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  /** A server with these settings; its stdout until `untilLine` matches, plus what the test sent. */
  async function pretty(
    env: Record<string, string>,
  ): Promise<{ url: string; child: ChildProcess; output: () => string }> {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        ...NO_RATE_LIMITS,
        SECRET_KEY: TEST_SECRET,
        HOST: '127.0.0.1',
        PORT: String(port),
        DATA_DIR: dataDir,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const deadline = Date.now() + 15_000;
    while (!stdout.includes('parley is listening')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no start: ${stderr}${stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { url: `http://127.0.0.1:${port}`, child, output: () => stdout };
  }

  it('writes readable lines with LOG_FORMAT=pretty, secrets still redacted at trace level', async () => {
    const started = await pretty({ LOG_FORMAT: 'pretty', LOG_LEVEL: 'trace' });
    try {
      const user = await registerAndLogin(client(started.url), undefined, 'Pretty-Secret-Password-1');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const lines = started.output().split('\n').filter(Boolean);
      expect(
        lines.filter((line) => line.startsWith('{')),
        'JSON lines',
      ).to.deep.equal([]);
      expect(
        lines.some((line) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO.*: parley is listening/.test(line)),
        lines.join('\n'),
      ).to.equal(true);
      expect(lines.some((line) => /POST \/auth\/login|request/.test(line))).to.equal(true);
      for (const secret of [user.password, user.access_token, user.refresh_token, TEST_SECRET]) {
        expect(started.output().includes(secret), `logged: ${secret.slice(0, 12)}…`).to.equal(false);
      }
    } finally {
      started.child.kill('SIGTERM');
      await collect(started.child);
    }
  });

  it('writes pino JSON by default when stdout is a pipe, and with LOG_FORMAT=json', async () => {
    for (const env of [{}, { LOG_FORMAT: 'json' }]) {
      server = await startChild(dataDir, await freePort(), env);
      const listening = server.logs.find((line) => line.msg === 'parley is listening');
      expect(listening, JSON.stringify(server.logs)).to.include({ service: 'parley' });
      expect(listening).to.have.property('level', 30);
      server.process.kill('SIGTERM');
      expect((await server.exited).code).to.equal(0);
    }
  });

  it('writes pretty lines when stdout is a terminal, unless LOG_FORMAT=json', async function () {
    // script(1) gives the server a pseudo-terminal as stdout; util-linux has it on Debian.
    const run = (format: string) =>
      collect(
        spawn('script', ['-qec', `LOG_FORMAT=${format} timeout -s INT 3 node ${MAIN}`, '/dev/null'], {
          env: {
            PATH: process.env.PATH ?? '',
            SECRET_KEY: TEST_SECRET,
            HOST: '127.0.0.1',
            PORT: '0',
            DATA_DIR: dataDir,
            TERM: 'dumb',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
    const auto = await run('auto');
    if (auto.code === 127 || /script: (command )?not found/.test(auto.stderr)) this.skip();
    expect(auto.stdout).to.match(/INFO.*parley is listening/);
    expect(auto.stdout).not.to.match(/"msg":"parley is listening"/);
    const json = await run('json');
    expect(json.stdout).to.match(/"msg":"parley is listening"/);
  });

  it('refuses an unknown LOG_FORMAT, naming it', async () => {
    const run = await main([], { DATA_DIR: dataDir, LOG_FORMAT: 'fancy' });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.include("LOG_FORMAT: must be one of auto, json, pretty, got 'fancy'");
  });
});

describe('password hashing beside the WAL fsync (libuv thread pool)', function () {
  this.timeout(60_000);
  const dataDir = tempDataDir();
  let server: ChildServer | undefined;
  afterEach(() => killChild(server));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves a burst of concurrent logins, more than the hashing threads, every one of them', async () => {
    server = await startChild(dataDir, await freePort());
    const api = client(server.url);
    const users = await Promise.all(Array.from({ length: 3 }, () => registerAndLogin(api)));
    const logins = await Promise.all(
      Array.from({ length: 12 }, (_, i) => {
        const user = users[i % users.length];
        return api.post('/auth/login', {
          json: { username: user.username, password: i % 4 === 3 ? 'wrong password' : user.password },
        });
      }),
    );
    expect(logins.map((r) => r.status)).to.deep.equal(Array.from({ length: 12 }, (_, i) => (i % 4 === 3 ? 401 : 200)));
  });

  it('warns when UV_THREADPOOL_SIZE leaves fewer than four threads beside hashing', async () => {
    server = await startChild(dataDir, await freePort(), { UV_THREADPOOL_SIZE: '4' });
    const warning = server.logs.find((line) => /UV_THREADPOOL_SIZE/.test(String(line.msg)));
    expect(warning).to.include({ level: 40, uv_threadpool_size: '4' });
    expect(warning!.recommended).to.be.a('number').above(4);
    server.process.kill('SIGTERM');
    await server.exited;
    server = await startChild(dataDir, await freePort());
    expect(server.logs.filter((line) => /UV_THREADPOOL_SIZE/.test(String(line.msg)))).to.deep.equal([]);
  });
});
