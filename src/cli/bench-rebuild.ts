import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECTIONS } from '../projections';
import { rebuildProjections, scanLog } from '../projections/rebuild';
import { openSqliteEngine } from '../store/sqlite';
import { say, usageError } from './context';
import { syntheticLog } from './synthetic-log';

export interface RebuildMeasurement {
  events: number;
  /** Events per second of a plain scan (read and decode, nothing applied). */
  scan_events_per_s: number;
  /** Events per second of a rebuild of every projection from the same log. */
  rebuild_events_per_s: number;
  /** rebuild ÷ scan: the share of raw read speed a rebuild keeps. */
  ratio: number;
  generate_seconds: number;
  scan_seconds: number;
  rebuild_seconds: number;
}

/**
 * Builds a synthetic log of `events` events in a throw-away embedded database under `dir`, then
 * times, in the same run, a plain scan of it and a rebuild of every projection from it.
 */
export async function measureRebuild(options: {
  events: number;
  dir: string;
  batchSize?: number;
}): Promise<RebuildMeasurement> {
  const engine = openSqliteEngine({ file: path.join(options.dir, 'bench-rebuild.db') });
  try {
    const generating = performance.now();
    for (const batch of syntheticLog(options.events)) await engine.events.importEvents(batch);
    const generateSeconds = (performance.now() - generating) / 1000;
    const scan = await scanLog(engine.events, options.batchSize);
    const rebuild = await rebuildProjections(engine, PROJECTIONS, { batchSize: options.batchSize });
    const scanRate = scan.events / scan.seconds;
    const rebuildRate = rebuild.events / rebuild.seconds;
    return {
      events: scan.events,
      scan_events_per_s: Math.round(scanRate),
      rebuild_events_per_s: Math.round(rebuildRate),
      ratio: Number((rebuildRate / scanRate).toFixed(3)),
      generate_seconds: Number(generateSeconds.toFixed(2)),
      scan_seconds: Number(scan.seconds.toFixed(2)),
      rebuild_seconds: Number(rebuild.seconds.toFixed(2)),
    };
  } finally {
    await engine.close();
  }
}

export const BENCH_USAGE = `parley bench-rebuild [--events N] [--batch-size N] [--json]
  Times a rebuild of every projection against a plain scan, on a synthetic log of N events
  (default 1000000) in a temporary embedded database; the configured data is not touched.`;

export async function benchRebuildCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string' },
      'batch-size': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const events = values.events === undefined ? 1_000_000 : Number(values.events);
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (!Number.isSafeInteger(events) || events < 1) throw usageError('--events must be a positive whole number');
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0))
    throw usageError('--batch-size must be a positive whole number');
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-bench-rebuild-'));
  try {
    if (!values.json) say(`generating ${events} synthetic events in ${dir} ...`);
    const m = await measureRebuild({ events, dir, batchSize });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(m)}\n`);
    } else {
      say(`log of ${m.events} events generated in ${m.generate_seconds}s`);
      say(`plain scan: ${m.scan_events_per_s} events/s (${m.scan_seconds}s)`);
      say(`rebuild:    ${m.rebuild_events_per_s} events/s (${m.rebuild_seconds}s), ratio ${m.ratio}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
