import { parseArgs } from 'node:util';
import { PROJECTIONS } from '../projections';
import { MAX_LIVE_LAG } from '../projections/runner';
import { usageError, withEngine } from './context';

/** The lag up to which a projection counts as live: the server's readiness threshold. */
export const LIVE_LAG = MAX_LIVE_LAG;

export const PROJECTIONS_USAGE = `parley projections status [--json]
  Each projection's checkpoint, the log's head, the lag in positions, whether it is live
  (lag <= ${LIVE_LAG}), and which server instance applies it (holds its lease).`;

export interface ProjectionReport {
  name: string;
  checkpoint: number;
  lag: number;
  live: boolean;
  /** The instance applying it (its lease), null when no live lease is held. */
  lease: { holder: string; expires_at: string } | null;
}

export async function projectionsCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  const [sub, ...rest] = positionals;
  if (sub !== 'status' || rest.length > 0) {
    throw usageError(
      `unknown projections command: ${positionals.join(' ') || '(none)'}; expected: projections status [--json]`,
    );
  }
  await withEngine(async (engine) => {
    const head = await engine.events.headPosition();
    const now = Date.now();
    const held = (await engine.leases.list()).filter((l) => l.expires_at.getTime() > now);
    const leases = new Map(held.map((l) => [l.name, l]));
    const projections: ProjectionReport[] = [];
    for (const { name } of PROJECTIONS) {
      const checkpoint = await engine.readModels.checkpoint(name);
      const lag = Math.max(0, head - checkpoint);
      const lease = leases.get(name);
      projections.push({
        name,
        checkpoint,
        lag,
        live: lag <= LIVE_LAG,
        lease: lease ? { holder: lease.holder, expires_at: lease.expires_at.toISOString() } : null,
      });
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ engine: engine.name, head, live_lag: LIVE_LAG, projections })}\n`);
      return;
    }
    const rows = [
      ['projection', 'checkpoint', 'lag', 'live', 'applied by'],
      ...projections.map((p) => [
        p.name,
        String(p.checkpoint),
        String(p.lag),
        p.live ? 'yes' : 'no',
        p.lease?.holder ?? '(nobody)',
      ]),
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    const lines = rows.map((r) =>
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '),
    );
    process.stdout.write(`engine ${engine.name}, log head at position ${head}\n${lines.join('\n')}\n`);
  });
}
