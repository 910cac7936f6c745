import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../src/config';

const REPO = path.resolve(__dirname, '..');
const MAIN = path.join(REPO, 'dist', 'main.js');
const GOOD_SECRET = 'k'.repeat(40);

describe('configuration', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'parley-config-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: dataDir, SECRET_KEY: GOOD_SECRET, ...env });
  const refused = (env: Record<string, string>, variable: string): ConfigError => {
    let error: unknown;
    try {
      load(env);
    } catch (e) {
      error = e;
    }
    expect(error, `${JSON.stringify(env)} should be refused`).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).variable).to.equal(variable);
    expect((error as ConfigError).message.startsWith(`${variable}:`)).to.equal(true);
    return error as ConfigError;
  };

  it('has the documented defaults', () => {
    const config = load({});
    expect(config).to.include({
      port: 8000,
      algorithm: 'HS256',
      accessTokenTtl: 15 * 60,
      refreshTokenTtl: 10080 * 60,
      logLevel: 'info',
      secretKey: GOOD_SECRET,
      secretKeyGenerated: false,
      mongo: null,
    });
    expect(config.dataDir).to.equal(dataDir);
  });

  it('reads the original variables: TOKEN_LIFETIME and REFRESH_TOKEN_LIFETIME in minutes, ALGORITHM', () => {
    expect(
      load({ TOKEN_LIFETIME: '5', REFRESH_TOKEN_LIFETIME: '60', ALGORITHM: 'HS512', PORT: '9001', HOST: '127.0.0.1' }),
    ).to.include({ accessTokenTtl: 300, refreshTokenTtl: 3600, algorithm: 'HS512', port: 9001, host: '127.0.0.1' });
  });

  it('builds a MongoDB URL from MONGO_HOST/PORT/DB/USER/PASS', () => {
    expect(
      load({ MONGO_HOST: 'db', MONGO_PORT: '27018', MONGO_DB: 'chat', MONGO_USER: 'u', MONGO_PASS: 'p@ss' }).mongo,
    ).to.deep.equal({ url: 'mongodb://u:p%40ss@db:27018/?authSource=admin', db: 'chat' });
  });

  it('refuses connection options in MONGO_HOST, pointing to MONGO_URL', () => {
    for (const host of ['db:27017/?replicaSet=rs0', 'db?directConnection=true', 'db1,db2', 'u:p@db']) {
      expect(refused({ MONGO_HOST: host }, 'MONGO_HOST').message).to.contain('MONGO_URL');
    }
  });

  for (const port of ['abc', '70000', '-1', '80.5']) {
    it(`refuses PORT=${port}, naming PORT`, () => {
      refused({ PORT: port }, 'PORT');
    });
  }
  for (const algorithm of ['RS256', 'none', 'hs256']) {
    it(`refuses ALGORITHM=${algorithm}, naming ALGORITHM`, () => {
      expect(refused({ ALGORITHM: algorithm }, 'ALGORITHM').message).to.contain('HS256');
    });
  }
  it('refuses a short SECRET_KEY, naming SECRET_KEY (and not echoing it)', () => {
    const error = refused({ SECRET_KEY: 'short-secret' }, 'SECRET_KEY');
    expect(error.message).not.to.contain('short-secret');
  });
  it('refuses bad lifetimes, log levels and half-given Mongo credentials', () => {
    refused({ TOKEN_LIFETIME: '0' }, 'TOKEN_LIFETIME');
    refused({ REFRESH_TOKEN_LIFETIME: 'week' }, 'REFRESH_TOKEN_LIFETIME');
    refused({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL');
    refused({ MONGO_USER: 'u' }, 'MONGO_USER');
    refused({ MONGO_HOST: 'db', MONGO_USER: 'u' }, 'MONGO_PASS');
    refused({ MONGO_HOST: 'db', MONGO_PORT: 'x' }, 'MONGO_PORT');
  });

  it('without SECRET_KEY generates a key into DATA_DIR (mode 0600) and reuses it', () => {
    const first = load({ SECRET_KEY: '' });
    expect(first.secretKeyGenerated).to.equal(true);
    expect(first.secretKey).to.have.length.of.at.least(32);
    const file = path.join(dataDir, 'secret_key');
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(readFileSync(file, 'utf8').trim()).to.equal(first.secretKey);
    expect(load({ SECRET_KEY: '' }).secretKey).to.equal(first.secretKey);

    const elsewhere = mkdtempSync(path.join(tmpdir(), 'parley-config-'));
    try {
      // Another data directory gets a key of its own: there is no built-in default.
      expect(loadConfig({ DATA_DIR: elsewhere }).secretKey).not.to.equal(first.secretKey);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('reads the WebSocket rate limit, refusing a zero or junk one, naming the variable', () => {
    expect(load({}).chatRate).to.deep.equal({ perSecond: 20, burst: 40 });
    expect(load({ WS_RATE_LIMIT: '100', WS_RATE_BURST: '300' }).chatRate).to.deep.equal({ perSecond: 100, burst: 300 });
    refused({ WS_RATE_LIMIT: '0' }, 'WS_RATE_LIMIT');
    refused({ WS_RATE_BURST: 'lots' }, 'WS_RATE_BURST');
  });

  it('refuses a damaged generated key rather than signing with it, naming SECRET_KEY', () => {
    writeFileSync(path.join(dataDir, 'secret_key'), '\n');
    expect(refused({ SECRET_KEY: '' }, 'SECRET_KEY').message).to.include('damaged');
  });

  it('names DATA_DIR when it cannot be created', () => {
    const file = path.join(dataDir, 'not-a-directory');
    writeFileSync(file, 'x');
    refused({ DATA_DIR: path.join(file, 'data'), SECRET_KEY: '' }, 'DATA_DIR');
  });

  describe('node dist/main.js', () => {
    before(function () {
      if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does) first`);
    });

    /** Runs the entry point in an empty working directory (no .env) with only the given variables. */
    function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [MAIN], {
          cwd: dataDir,
          env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, HOST: '127.0.0.1', ...env },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => {
          stdout += d;
        });
        child.stderr.on('data', (d: Buffer) => {
          stderr += d;
        });
        child.on('error', reject);
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
        // A server that did start would run forever: once it listens and has answered a request (by then
        // main() has installed its signal handlers), ask it to stop.
        let stopping = false;
        child.stdout.on('data', () => {
          const listening = /"url":"([^"]+)"[^\n]*"msg":"parley is listening"/.exec(stdout);
          if (!listening || stopping) return;
          stopping = true;
          fetch(`${listening[1]}/users?search=x`).finally(() => child.kill('SIGTERM'));
        });
      });
    }

    it('exits with status 2 and a message naming PORT for PORT=abc', async () => {
      const { code, stderr } = await run({ PORT: 'abc', SECRET_KEY: GOOD_SECRET });
      expect(code).to.equal(2);
      expect(stderr).to.match(/invalid configuration: PORT: /);
    });

    it('exits with status 2 and a message naming ALGORITHM for ALGORITHM=none', async () => {
      const { code, stderr } = await run({ PORT: '0', ALGORITHM: 'none', SECRET_KEY: GOOD_SECRET });
      expect(code).to.equal(2);
      expect(stderr).to.contain('ALGORITHM');
    });

    it('starts without SECRET_KEY, warns that it generated one, and stops cleanly on SIGTERM', async () => {
      const { code, stdout } = await run({ PORT: '0' });
      expect(code).to.equal(0);
      const lines = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { level: number; msg: string });
      expect(lines.some((l) => l.level === 40 && /SECRET_KEY/.test(l.msg))).to.equal(true);
      expect(lines.some((l) => l.msg === 'parley is listening')).to.equal(true);
      expect(existsSync(path.join(dataDir, 'secret_key'))).to.equal(true);
      expect(stdout).not.to.contain(readFileSync(path.join(dataDir, 'secret_key'), 'utf8').trim());
    });
  });
});
