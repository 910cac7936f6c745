import { createReadStream, createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { StoredEvent } from '../events';
import type { RawEvent } from '../events/upcasters';
import { ImportConflictError, type Engine } from '../store/ports';
import { CliError, say, usageError, withEngine } from './context';
import { validateExportedEvent } from './event-validation';

export const EVENTS_USAGE = `parley events export [--from N] [--output FILE] > events.ndjson
  Writes the log from position N (default 1) up to its head when the export starts, one JSON
  event per line, to stdout or FILE.
parley events import [--dry-run] [--resume] [--input FILE] < events.ndjson
  Validates every line and appends the events exactly as exported. Refuses a non-empty log unless
  --resume is given: then lines at or below the log's head are skipped once the line at the head
  is found to be the very event stored there (same id), and the rest is appended. --dry-run
  validates the whole input and writes nothing.`;

/** Events read (export) or written (import) per batch: memory stays bounded by this. */
const BATCH = 1_000;

/** The fields of an exported line, in a fixed order. */
const exportedLine = (e: StoredEvent): string =>
  JSON.stringify({
    position: e.position,
    id: e.id,
    stream: e.stream,
    version: e.version,
    type: e.type,
    schema_version: e.schema_version,
    time: e.time,
    data: e.data,
    metadata: e.metadata,
  });

export async function eventsCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'export') return exportCommand(rest);
  if (sub === 'import') return importCommand(rest);
  throw usageError(`unknown events command: ${sub ?? '(none)'}; expected: events export | events import`);
}

async function exportCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { from: { type: 'string' }, output: { type: 'string' } } });
  const from = values.from === undefined ? 1 : Number(values.from);
  if (!Number.isSafeInteger(from) || from < 1) throw usageError('--from must be a position (a whole number from 1)');
  await withEngine(async (engine) => {
    const head = await engine.events.headPosition();
    let position = from - 1;
    let count = 0;
    const out = values.output === undefined ? process.stdout : createWriteStream(values.output, { flags: 'wx' });
    const writes = watchWrites(out);
    while (position < head) {
      if (writes.failure) break;
      const batch = (await engine.events.readAll(position, BATCH)).filter((e) => e.position <= head);
      if (batch.length === 0) break;
      position = batch[batch.length - 1].position;
      count += batch.length;
      // Wait for the reader when the pipe is full: memory stays at one batch.
      if (!out.write(`${batch.map(exportedLine).join('\n')}\n`)) await drained(out, writes);
    }
    if (writes.failure) {
      // `parley events export | head`: the reader closed the pipe. Its choice; the export ends quietly.
      if (out === process.stdout && READER_GONE.includes(writes.failure.code ?? '')) return;
      throw writes.failure;
    }
    if (out !== process.stdout) {
      out.end();
      await finished(out);
    }
    say(`exported ${count} events (positions ${from}..${position}) from the ${engine.name} engine`);
  });
}

/** EPIPE on the write that found the pipe closed, ERR_STREAM_DESTROYED on any write after it. */
const READER_GONE = ['EPIPE', 'ERR_STREAM_DESTROYED'];

interface WriteState {
  failure: NodeJS.ErrnoException | null;
  /** Ends a wait for 'drain', which never comes after an error. */
  wake: () => void;
}

/** Keeps the output's first error for the export loop to judge, instead of an uncaught 'error' event. */
function watchWrites(out: NodeJS.WritableStream): WriteState {
  const state: WriteState = { failure: null, wake: () => {} };
  out.on('error', (error: NodeJS.ErrnoException) => {
    state.failure ??= error;
    state.wake();
  });
  return state;
}

function drained(out: NodeJS.WritableStream, state: WriteState): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      state.wake = () => {};
      resolve();
    };
    out.once('drain', done);
    state.wake = done;
  });
}

interface ImportState {
  engine: Engine;
  dryRun: boolean;
  resume: boolean;
  /** The target log's head when the import started. */
  head: number;
  pending: RawEvent[];
  /** The input line of each pending event. */
  pendingLines: number[];
  imported: number;
  skipped: number;
  lastPosition: number;
  headVerified: boolean;
}

async function importCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'dry-run': { type: 'boolean', default: false },
      resume: { type: 'boolean', default: false },
      input: { type: 'string' },
    },
  });
  await withEngine(async (engine) => {
    const head = await engine.events.headPosition();
    if (head > 0 && !values.resume) {
      throw new CliError(
        `the target log is not empty (head at position ${head}); import writes only into an empty log.\n` +
          'To continue an interrupted import of the same export, run it again with --resume.',
      );
    }
    const state: ImportState = {
      engine,
      dryRun: values['dry-run'],
      resume: values.resume,
      head,
      pending: [],
      pendingLines: [],
      imported: 0,
      skipped: 0,
      lastPosition: 0,
      headVerified: head === 0,
    };
    const input = values.input === undefined ? process.stdin : createReadStream(values.input);
    const lines = createInterface({ input, crlfDelay: Infinity });
    let lineNo = 0;
    try {
      for await (const line of lines) {
        lineNo += 1;
        if (line.trim() === '') continue;
        // `npm run events -- export > file` puts npm's banner ("> parley@… events") first.
        if (state.lastPosition === 0 && line.startsWith('> ')) continue;
        await importLine(state, line, lineNo);
      }
      await flush(state, lineNo);
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      throw new CliError(`line ${error.line}: ${error.message}\n${summary(state, true)}`);
    }
    if (state.lastPosition === 0) throw new CliError(`the input holds no events\n${summary(state)}`);
    if (!state.headVerified) {
      throw new CliError(
        `the input ends at position ${state.lastPosition}, before the target's head (${state.head}): nothing to import, and no event to check it against`,
      );
    }
    say(summary(state));
  });
}

class LineError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

async function importLine(state: ImportState, line: string, lineNo: number): Promise<void> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new LineError(lineNo, `not valid JSON (${(error as Error).message})`);
  }
  const checked = validateExportedEvent(value);
  if ('problem' in checked) throw new LineError(lineNo, checked.problem);
  const event = checked.event;
  if (event.position <= state.lastPosition) {
    throw new LineError(
      lineNo,
      `position ${event.position} does not follow ${state.lastPosition}: an export lists positions in increasing order`,
    );
  }
  state.lastPosition = event.position;

  if (event.position <= state.head) {
    // --resume: this part of the log is already there; make sure it is the same log.
    if (event.position === state.head) await verifyHead(state, event, lineNo);
    state.skipped += 1;
    return;
  }
  if (!state.headVerified) {
    throw new LineError(
      lineNo,
      `the input has no event at position ${state.head}, the target's head, so it cannot be checked to continue the same log`,
    );
  }
  state.pending.push(event);
  state.pendingLines.push(lineNo);
  if (state.pending.length >= BATCH) await flush(state, lineNo);
}

async function verifyHead(state: ImportState, event: RawEvent, lineNo: number): Promise<void> {
  const [stored] = await state.engine.events.readAll(state.head - 1, 1);
  if (!stored || stored.id !== event.id) {
    throw new LineError(
      lineNo,
      `the target's event at position ${state.head} has id ${stored?.id ?? '(none)'}, the input's has ${event.id}: not the same log`,
    );
  }
  state.headVerified = true;
}

async function flush(state: ImportState, lineNo: number): Promise<void> {
  if (state.pending.length === 0) return;
  if (!state.dryRun) {
    try {
      await state.engine.events.importEvents(state.pending);
    } catch (error) {
      if (!(error instanceof ImportConflictError)) throw error;
      // The whole batch was refused: name the line of the event that conflicted.
      const offset = state.pending.findIndex((e) => e.position === error.position);
      throw new LineError(state.pendingLines[offset] ?? lineNo, error.message);
    }
  }
  state.imported += state.pending.length;
  state.pending = [];
  state.pendingLines = [];
}

function summary(state: ImportState, failed = false): string {
  const verb = state.dryRun ? 'validated (dry run, nothing written)' : 'imported';
  const skipped = state.skipped > 0 ? `; skipped ${state.skipped} already in the log` : '';
  const notWritten =
    state.pending.length > 0
      ? `; the ${state.pending.length} valid events read since then (lines ${state.pendingLines[0]}..) were not written`
      : '';
  const resume =
    failed && !state.dryRun && state.imported > 0
      ? '\nfix the input and run the import again with --resume to continue where it stopped'
      : '';
  return `${verb} ${state.imported} events${skipped}${notWritten}${resume}`;
}
