import { parseArgs } from 'node:util';
import { protectEngine } from '../privacy';
import { rebuildProjections, selectProjections, UnknownProjectionError } from '../projections/rebuild';
import { CliError, say, usageError, withEngine } from './context';
import { progressReporter } from './progress';

export const REBUILD_USAGE = `parley rebuild [projection ...] [--batch-size N]
  Rebuilds the named read models (all when none are named) from the start of the log into fresh
  tables, then swaps each in atomically with its checkpoint. A running server keeps serving the old
  read model until the swap. On failure the old read models stay in place.`;

export async function rebuildCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'batch-size': { type: 'string' } },
  });
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0))
    throw usageError('--batch-size must be a positive whole number');
  let projections;
  try {
    projections = selectProjections(positionals);
  } catch (error) {
    if (error instanceof UnknownProjectionError) throw usageError(error.message);
    throw error;
  }

  await withEngine(async (opened, config) => {
    // Projections read personal fields decrypted (or erased), exactly as the server's do.
    const engine = protectEngine(opened, config.privacyKey);
    const names = projections.map((p) => p.name).join(', ');
    say(`rebuilding ${names} on the ${engine.name} engine`);
    const aborted = new AbortController();
    const interrupt = () => aborted.abort(new CliError('interrupted; the old read models are still in place', 130));
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    const progress = progressReporter('rebuild', 'events');
    try {
      const result = await rebuildProjections(engine, projections, {
        batchSize,
        signal: aborted.signal,
        onProgress: (p) => {
          if (p.phase !== 'promote') progress.update(p.position, p.head);
        },
      });
      progress.stop();
      const rate = Math.round(result.events / Math.max(result.seconds, 1e-3));
      say(
        `rebuilt ${names} from ${result.events} events in ${result.seconds.toFixed(1)}s (${rate} events/s); checkpoint ${result.position}`,
      );
    } catch (error) {
      progress.stop();
      if (error instanceof CliError) throw error;
      throw new CliError(`rebuild failed: ${(error as Error).message}\nthe old read models are still in place`);
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
  });
}
