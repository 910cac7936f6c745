import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { syntheticLog } from '../src/cli/synthetic-log';
import { runCli } from './helpers/processes';
import { TEST_SECRET, tempDataDir } from './helpers/server';

const ROOT = path.resolve(__dirname, '..');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const execFileAsync = promisify(execFile);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[], cwd: string, env: Record<string, string>): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { cwd, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? '',
    };
  }
}

/**
 * What the production image holds after `npm ci --omit=dev` and a build: package.json, bin/, dist/
 * and node_modules with the runtime dependencies only (links to this checkout's), no .bin, so no
 * tsc. `withDist: false` is a checkout that was never built.
 */
function deployedLayout(withDist: boolean): string {
  const dir = tempDataDir();
  cpSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  cpSync(path.join(ROOT, 'bin'), path.join(dir, 'bin'), { recursive: true });
  if (withDist) cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (entry.dev || !/^node_modules\/(@[^/]+\/)?[^/]+$/.test(key)) continue;
    mkdirSync(path.dirname(path.join(dir, key)), { recursive: true });
    symlinkSync(path.join(ROOT, key), path.join(dir, key));
  }
  return dir;
}

describe('operator tools where parley runs', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const fresh = () => {
    const dir = tempDataDir();
    dirs.push(dir);
    return dir;
  };
  let deployed: string;
  let unbuilt: string;
  /** A PATH without node_modules/.bin, whose `tsc` fails loudly should anything still call it. */
  let env: Record<string, string>;

  before(() => {
    deployed = deployedLayout(true);
    unbuilt = deployedLayout(false);
    const fakes = fresh();
    writeFileSync(path.join(fakes, 'tsc'), '#!/bin/sh\necho "tsc was run" >&2\nexit 99\n');
    chmodSync(path.join(fakes, 'tsc'), 0o755);
    dirs.push(deployed, unbuilt);
    env = {
      PATH: [fakes, path.dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
      HOME: fresh(),
      SECRET_KEY: TEST_SECRET,
      LOG_LEVEL: 'silent',
    };
  });
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('runs `npm run projections/rebuild/events` without devDependencies and without compiling', async () => {
    const dataDir = fresh();
    const status = await run('npm', ['run', '-s', 'projections', '--', 'status', '--json'], deployed, {
      ...env,
      DATA_DIR: dataDir,
    });
    expect(status.code, status.stderr).to.equal(0);
    expect(JSON.parse(status.stdout)).to.have.property('engine', 'sqlite');
    const rebuild = await run('npm', ['run', 'rebuild', '--', 'users'], deployed, { ...env, DATA_DIR: dataDir });
    expect(rebuild.code, rebuild.stderr).to.equal(0);
    expect(rebuild.stdout + rebuild.stderr).not.to.match(/tsc/);
    const exported = await run('npm', ['run', '-s', 'events', '--', 'export'], deployed, { ...env, DATA_DIR: dataDir });
    expect(exported.code, exported.stderr).to.equal(0);
    expect(exported.stderr).to.include('exported 0 events');
  });

  it('says to build first, without a stack trace, when dist/ is missing', async () => {
    for (const script of ['rebuild', 'projections', 'events']) {
      const result = await run('npm', ['run', '-s', script], unbuilt, { ...env, DATA_DIR: fresh() });
      expect(result.code, script).to.equal(1);
      expect(result.stderr).to.include('parley: dist/cli/main.js is missing: run npm run build first');
      expect(result.stderr).not.to.match(/\n\s+at /);
    }
  });

  it('answers `npx parley --version` in a checkout, and `parley --version` from the bin', async () => {
    const npx = await run('npx', ['--offline', 'parley', '--version'], ROOT, { ...env, DATA_DIR: fresh() });
    expect(npx.code, npx.stderr).to.equal(0);
    expect(npx.stdout).to.equal(`${VERSION}\n`);
    const bin = await runCli(['--version'], {});
    expect(bin.code).to.equal(0);
    expect(bin.stdout).to.equal(`${VERSION}\n`);
    const unknown = await runCli(['--versions'], {});
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include('unknown command: --versions');
  });
});

describe('parley events export into a pipe closed early (`| head -n 1`)', function () {
  this.timeout(120_000);
  let dataDir: string;
  let work: string;

  before(async () => {
    dataDir = tempDataDir();
    work = tempDataDir();
    // Several export batches, so that writes go on after the reader has gone.
    const file = path.join(work, 'log.ndjson');
    const lines = [...syntheticLog(5_000, 1_000)].flat().map((e) => JSON.stringify(e));
    writeFileSync(file, `${lines.join('\n')}\n`);
    const imported = await runCli(['events', 'import', '--input', file], { DATA_DIR: dataDir });
    expect(imported.code, imported.stderr).to.equal(0);
  });
  after(() => {
    for (const dir of [dataDir, work]) rmSync(dir, { recursive: true, force: true });
  });

  it('ends quietly with exit 0', async () => {
    const result = await runCli(['events', 'export'], { DATA_DIR: dataDir }, { closeStdoutAfterFirstLine: true });
    expect(result.stderr).not.to.match(/EPIPE|Error/);
    expect(result.code, result.stderr).to.equal(0);
    expect(JSON.parse(result.stdout.split('\n')[0])).to.have.property('position', 1);
  });

  it('still fails on a write error that is not a closed pipe', async () => {
    const result = await runCli(['events', 'export', '--output', path.join(work, 'missing', 'out.ndjson')], {
      DATA_DIR: dataDir,
    });
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/ENOENT/);
  });
});
