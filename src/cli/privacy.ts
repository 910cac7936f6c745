import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { LEGACY_UNTIL, protectEngine, protectionOf, type StoredDataKey } from '../privacy';
import { MIGRATED_TO, migrateLog } from '../privacy/migrate';
import { CliError, say, usageError, withEngine } from './context';
import { progressReporter } from './progress';

export const PRIVACY_USAGE = `parley privacy status
  Says whether every personal field in the log is encrypted, or which part of the log was written
  before (then an erasure cannot be proven until \`privacy migrate\` has run).
parley privacy migrate
  Rewrites the personal fields of events written before this release into the encrypted form and
  renames email claim streams to keyed hashes (ids, positions, versions unchanged). Idempotent and
  resumable; shows progress. Stop the servers first or run it while they run: both are safe.
parley privacy keys export [--output FILE] > keys.ndjson
  Writes the key store (the users' data keys, wrapped by PRIVACY_KEY, and erasure tombstones).
  It moves with \`events export\`; the target needs the same PRIVACY_KEY.
parley privacy keys import [--input FILE] < keys.ndjson
  Adds the keys to this installation's key store (a tombstone always wins over a key).`;

const BATCH = 1_000;

export async function privacyCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'status') return statusCommand();
  if (sub === 'migrate') return migrateCommand();
  if (sub === 'keys' && rest[0] === 'export') return keysExport(rest.slice(1));
  if (sub === 'keys' && rest[0] === 'import') return keysImport(rest.slice(1));
  throw usageError(
    `unknown privacy command: ${[sub, ...rest].join(' ') || '(none)'}; ` +
      'expected: privacy status | privacy migrate | privacy keys export | privacy keys import',
  );
}

async function statusCommand(): Promise<void> {
  await withEngine(async (engine) => {
    const legacy = Number((await engine.privacy.keys.getMeta(LEGACY_UNTIL)) ?? (await engine.events.headPosition()));
    const head = await engine.events.headPosition();
    if (legacy > 0) {
      say(
        `events 1..${legacy} of ${head} were written before personal data was encrypted and may hold it in plaintext: ` +
          'erasure cannot be proven for them; run `parley privacy migrate`',
      );
      process.exitCode = 3;
    } else {
      say(`every personal field in the log (${head} events) is encrypted: erasure can be proven`);
    }
  });
}

async function migrateCommand(): Promise<void> {
  await withEngine(async (engine, config) => {
    const resumeAt = Number((await engine.privacy.keys.getMeta(MIGRATED_TO)) ?? 0);
    if (resumeAt > 0) say(`resuming after position ${resumeAt}`);
    const progress = progressReporter('privacy migrate', 'events');
    try {
      const result = await migrateLog(engine, config.privacyKey, (position, head) => progress.update(position, head));
      progress.stop();
      say(
        `looked at ${result.scanned} events up to position ${result.head}, rewrote ${result.rewritten}` +
          (result.keysErased > 0 ? `, finished ${result.keysErased} interrupted erasures` : '') +
          '; every personal field in the log is now encrypted',
      );
    } catch (error) {
      progress.stop();
      throw new CliError(`migrate stopped: ${(error as Error).message}\nrun it again to resume where it stopped`);
    }
  });
}

const keyLine = (k: StoredDataKey): string =>
  JSON.stringify({
    user_id: k.user_id,
    wrapped: k.wrapped?.toString('base64') ?? null,
    erased_at: k.erased_at,
  });

async function keysExport(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { output: { type: 'string' } } });
  await withEngine(async (engine) => {
    const out =
      values.output === undefined ? process.stdout : createWriteStream(values.output, { flags: 'wx', mode: 0o600 });
    let count = 0;
    for await (const key of engine.privacy.keys.list()) {
      count += 1;
      if (!out.write(`${keyLine(key)}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    if (out !== process.stdout) {
      out.end();
      await finished(out);
    }
    say(`exported ${count} data keys and tombstones from the ${engine.name} engine`);
  });
}

function parseKey(line: string, lineNo: number): StoredDataKey {
  let value: { user_id?: unknown; wrapped?: unknown; erased_at?: unknown };
  try {
    value = JSON.parse(line) as typeof value;
  } catch (error) {
    throw new CliError(`line ${lineNo}: not valid JSON (${(error as Error).message})`);
  }
  const ok =
    typeof value.user_id === 'string' &&
    value.user_id !== '' &&
    (value.wrapped === null || typeof value.wrapped === 'string') &&
    (value.erased_at === null || typeof value.erased_at === 'string') &&
    (value.wrapped === null) === (value.erased_at !== null);
  if (!ok)
    throw new CliError(`line ${lineNo}: expected {"user_id", "wrapped": base64 or null, "erased_at": null or a time}`);
  return {
    user_id: value.user_id as string,
    wrapped: value.wrapped === null ? null : Buffer.from(value.wrapped as string, 'base64'),
    erased_at: value.erased_at as string | null,
  };
}

async function keysImport(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { input: { type: 'string' } } });
  await withEngine(async (engine, config) => {
    const { ring } = protectionOf(protectEngine(engine, config.privacyKey))!;
    const input = values.input === undefined ? process.stdin : createReadStream(values.input);
    let batch: StoredDataKey[] = [];
    let count = 0;
    let lineNo = 0;
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      lineNo += 1;
      if (line.trim() === '' || (count === 0 && line.startsWith('> '))) continue;
      const key = parseKey(line, lineNo);
      // A key store from another installation would make every field unreadable: refuse it before writing.
      if (!ring.opens(key)) {
        throw new CliError(
          `line ${lineNo}: the key of user ${key.user_id} does not open with this PRIVACY_KEY; ` +
            'import keys with the PRIVACY_KEY of the installation they were exported from',
        );
      }
      batch.push(key);
      count += 1;
      if (batch.length >= BATCH) {
        await engine.privacy.keys.importKeys(batch);
        batch = [];
      }
    }
    await engine.privacy.keys.importKeys(batch);
    // The imported log was written protected: the export carries no plaintext to warn about.
    if ((await engine.privacy.keys.getMeta(LEGACY_UNTIL)) === null)
      await engine.privacy.keys.setMeta(LEGACY_UNTIL, '0');
    say(`imported ${count} data keys and tombstones`);
  });
}
