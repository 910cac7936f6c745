import { expect } from 'chai';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { client } from './helpers/http';
import { runCli, startServerProcess } from './helpers/processes';
import { tempDataDir } from './helpers/server';
import { logHead } from './helpers/sqlite-tables';
import { dataDirWithTraffic, inboxTexts } from './helpers/traffic';

const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('parley events export and import', function () {
  this.timeout(90_000);
  let source: Awaited<ReturnType<typeof dataDirWithTraffic>>;
  let work: string;
  let exported: string;
  const dirs: string[] = [];
  const freshDir = () => {
    const dir = tempDataDir();
    dirs.push(dir);
    return dir;
  };
  /** The source's export with `edit` applied to its lines. */
  const variant = (name: string, edit: (lines: string[]) => string[]) => {
    const file = path.join(work, name);
    writeFileSync(file, `${edit(lines(exported)).join('\n')}\n`);
    return file;
  };
  const exportOf = async (dataDir: string, file: string, args: string[] = []) => {
    const run = await runCli(['events', 'export', ...args], { DATA_DIR: dataDir }, { stdoutFile: file });
    expect(run.code, run.stderr).to.equal(0);
    return run;
  };

  before(async () => {
    source = await dataDirWithTraffic();
    work = freshDir();
    exported = path.join(work, 'events.ndjson');
    await exportOf(source.dataDir, exported);
  });
  after(() => {
    for (const dir of [source?.dataDir, ...dirs]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exports the whole log as one JSON event per line, in position order', () => {
    const events = lines(exported).map((l) => JSON.parse(l));
    expect(events.length).to.be.greaterThan(5);
    expect(events.map((e) => e.position)).to.deep.equal(events.map((_, i) => i + 1));
    expect(Object.keys(events[0])).to.deep.equal([
      'position',
      'id',
      'stream',
      'version',
      'type',
      'schema_version',
      'time',
      'data',
      'metadata',
    ]);
    expect(events.map((e) => e.type)).to.include.members([
      'UserRegistered',
      'SessionStarted',
      'MessageSent',
      'ChatMessagePosted',
    ]);
  });

  it('exports from a position with --from', async () => {
    const file = path.join(work, 'from3.ndjson');
    const run = await exportOf(source.dataDir, file, ['--from', '3']);
    expect(lines(file)).to.deep.equal(lines(exported).slice(2));
    expect(run.stderr).to.match(/exported \d+ events \(positions 3\.\.\d+\)/);
  });

  it('imports into an empty log exactly what was exported, and with the keys a server on it works as the old one did', async () => {
    const target = freshDir();
    const run = await runCli(['events', 'import'], { DATA_DIR: target }, { stdinFile: exported });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.include(`imported ${lines(exported).length} events`);
    const again = path.join(work, 'again.ndjson');
    await exportOf(target, again);
    expect(readFileSync(again, 'utf8')).to.equal(readFileSync(exported, 'utf8'));

    // The personal fields are encrypted: the key store moves too, under the same PRIVACY_KEY (docs/privacy.md).
    const privacyKey = readFileSync(path.join(source.dataDir, 'privacy_key'), 'utf8').trim();
    const keys = path.join(work, 'keys.ndjson');
    const keysOut = await runCli(['privacy', 'keys', 'export', '--output', keys], { DATA_DIR: source.dataDir });
    expect(keysOut.code, keysOut.stderr).to.equal(0);
    const wrongKey = await runCli(['privacy', 'keys', 'import', '--input', keys], { DATA_DIR: target });
    expect(wrongKey.code).to.equal(1);
    expect(wrongKey.stderr).to.include('does not open with this PRIVACY_KEY');
    const keysIn = await runCli(['privacy', 'keys', 'import', '--input', keys], {
      DATA_DIR: target,
      PRIVACY_KEY: privacyKey,
    });
    expect(keysIn.code, keysIn.stderr).to.equal(0);
    expect(keysIn.stderr).to.match(/imported [1-9]\d* data keys/);

    const server = await startServerProcess({ DATA_DIR: target, PRIVACY_KEY: privacyKey });
    try {
      const api = client(server.url);
      const login = await api.post('/auth/login', {
        json: { username: source.bob.username, password: source.bob.password },
      });
      expect(login.status).to.equal(200);
      expect(await inboxTexts(api, { ...source.bob, access_token: login.body.access_token })).to.deep.equal(['one']);
    } finally {
      await server.stop();
    }
  });

  it('refuses a log that is not empty, changing nothing', async () => {
    const target = freshDir();
    expect((await runCli(['events', 'import'], { DATA_DIR: target }, { stdinFile: exported })).code).to.equal(0);
    const run = await runCli(['events', 'import'], { DATA_DIR: target }, { stdinFile: exported });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.include(`the target log is not empty (head at position ${lines(exported).length})`);
    expect(run.stderr).to.include('--resume');
    const after = path.join(work, 'after-refusal.ndjson');
    await exportOf(target, after);
    expect(readFileSync(after, 'utf8')).to.equal(readFileSync(exported, 'utf8'));
  });

  it('continues an interrupted import with --resume, after checking it is the same log', async () => {
    const target = freshDir();
    const firstHalf = variant('half.ndjson', (l) => l.slice(0, 4));
    expect((await runCli(['events', 'import'], { DATA_DIR: target }, { stdinFile: firstHalf })).code).to.equal(0);

    const otherLog = variant('other.ndjson', (l) =>
      l.map((line, i) => (i === 3 ? line.replace(/"id":"[^"]+"/, '"id":"another-event"') : line)),
    );
    const refused = await runCli(['events', 'import', '--resume'], { DATA_DIR: target }, { stdinFile: otherLog });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(
      /line 4: the target's event at position 4 has id \S+, the input's has another-event: not the same log/,
    );

    const shorter = variant('shorter.ndjson', (l) => l.slice(0, 3));
    const tooShort = await runCli(['events', 'import', '--resume'], { DATA_DIR: target }, { stdinFile: shorter });
    expect(tooShort.code).to.equal(1);
    expect(tooShort.stderr).to.include("the input ends at position 3, before the target's head (4)");

    const run = await runCli(['events', 'import', '--resume'], { DATA_DIR: target }, { stdinFile: exported });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.include(`imported ${lines(exported).length - 4} events; skipped 4 already in the log`);
    const after = path.join(work, 'resumed.ndjson');
    await exportOf(target, after);
    expect(readFileSync(after, 'utf8')).to.equal(readFileSync(exported, 'utf8'));
  });

  const bad: [string, (event: Record<string, any>) => unknown, RegExp][] = [
    ['a line that is not JSON', () => '{"position": 5,', /line 5: not valid JSON/],
    [
      'an unknown event type',
      (e) => ({ ...e, type: 'UserDeleted' }),
      /line 5: event\.type must be equal to one of the allowed values \(UserRegistered, /,
    ],
    [
      'a schema version from a newer release',
      (e) => ({ ...e, schema_version: 99 }),
      /line 5: \w+ schema_version 99 is newer than this release knows/,
    ],
    [
      'data missing a field',
      (e) => ({
        ...e,
        data: { ...e.data, user_id: undefined, session_id: undefined, message_id: undefined, key: undefined },
      }),
      /line 5: data must have required property/,
    ],
    [
      'a stream that does not follow from the event',
      (e) => ({ ...e, stream: 'user-someone-else' }),
      /line 5: stream is user-someone-else, but a \w+ with this data belongs to/,
    ],
    ['positions out of order', (e) => ({ ...e, position: 2 }), /line 5: position 2 does not follow 4/],
    [
      'metadata without ids',
      (e) => ({ ...e, metadata: {} }),
      /line 5: event\.metadata must have required property 'correlation_id'/,
    ],
  ];
  bad.forEach(([what, corrupt, message], i) => {
    it(`refuses ${what}, naming the line and writing nothing of the batch`, async () => {
      const file = variant('bad.ndjson', (l) =>
        l.map((line, i) => {
          if (i !== 4) return line;
          const changed = corrupt(JSON.parse(line));
          return typeof changed === 'string' ? changed : JSON.stringify(changed);
        }),
      );
      // A dry run stops at the same line (checked once: each run is a process of its own).
      for (const args of i === 0 ? [['--dry-run'], []] : [[]]) {
        const target = freshDir();
        const run = await runCli(['events', 'import', ...args], { DATA_DIR: target }, { stdinFile: file });
        expect(run.code, run.stderr).to.equal(1);
        expect(run.stderr).to.match(message);
        expect(run.stderr).to.match(/the 4 valid events read since then \(lines 1\.\.\) were not written/);
        expect(logHead(target)).to.equal(0);
      }
    });
  });

  it('names the line whose (stream, version) is already taken, writing none of its batch', async () => {
    const file = variant('duplicate.ndjson', (l) => {
      const fifth = JSON.parse(l[4]);
      return [...l.slice(0, 5), JSON.stringify({ ...fifth, id: 'copy', position: 6 })];
    });
    const target = freshDir();
    const run = await runCli(['events', 'import'], { DATA_DIR: target }, { stdinFile: file });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/line 6: stream \S+ already has a version 1 \(event at position 6\)/);
    expect(logHead(target)).to.equal(0);
  });

  it("reads an export made with `npm run events -- export > file`, npm's banner first", async () => {
    const banner = ['', '> parley@0.1.0 events', '> node bin/parley.js events export', ''];
    const file = variant('npm.ndjson', (l) => [...banner, ...l]);
    const target = freshDir();
    const run = await runCli(['events', 'import', '--input', file], { DATA_DIR: target });
    expect(run.code, run.stderr).to.equal(0);
    expect(logHead(target)).to.equal(lines(exported).length);
    // Only before the first event: a banner-like line later on is a bad line.
    const late = variant('late.ndjson', (l) => [...l.slice(0, 2), '> not an event', ...l.slice(2)]);
    const refused = await runCli(['events', 'import', '--input', late], { DATA_DIR: freshDir() });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include('line 3: not valid JSON');
  });

  it('writes to --output, refusing to overwrite a file', async () => {
    const file = path.join(work, 'output.ndjson');
    const first = await runCli(['events', 'export', '--output', file], { DATA_DIR: source.dataDir });
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.equal('');
    expect(readFileSync(file, 'utf8')).to.equal(readFileSync(exported, 'utf8'));
    const second = await runCli(['events', 'export', '--output', file], { DATA_DIR: source.dataDir });
    expect(second.code).to.equal(1);
    expect(second.stderr).to.match(/EEXIST: file already exists/);
  });

  it('validates without writing on --dry-run', async () => {
    const target = freshDir();
    const run = await runCli(['events', 'import', '--dry-run'], { DATA_DIR: target }, { stdinFile: exported });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.include(`validated (dry run, nothing written) ${lines(exported).length} events`);
    expect(logHead(target)).to.equal(0);
  });
});
