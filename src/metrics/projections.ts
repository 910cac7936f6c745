import { Gauge, type Registry } from 'prom-client';
import type { ProjectionStatus } from '../projections/runner';

export interface ProjectionSource {
  /** Position of the newest event in the log. */
  head(): Promise<number>;
  status(): ProjectionStatus[];
}

interface Sample {
  head: number;
  projections: ProjectionStatus[];
}

/** How far each projection is behind the log, read at scrape time. */
export function registerProjectionMetrics(registry: Registry, source: ProjectionSource): void {
  // A scrape collects every metric at once: they share one sample, so all describe the same moment.
  let pending: Promise<Sample> | null = null;
  const sample = (): Promise<Sample> => {
    pending ??= source
      .head()
      .then((head) => ({ head, projections: source.status() }))
      .finally(() => {
        pending = null;
      });
    return pending;
  };
  const perProjection = (name: string, help: string, value: (s: ProjectionStatus, head: number) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['projection'] as const,
      registers: [registry],
      async collect() {
        const { head, projections } = await sample();
        for (const s of projections) this.set({ projection: s.name }, value(s, head));
      },
    });

  new Gauge({
    name: 'parley_event_log_head_position',
    help: 'Position of the newest event in the log.',
    registers: [registry],
    async collect() {
      this.set((await sample()).head);
    },
  });
  perProjection(
    'parley_projection_lag_events',
    'Events in the log the projection has not applied yet (head - checkpoint).',
    (s, head) => Math.max(0, head - s.position),
  );
  perProjection(
    'parley_projection_position',
    'Position of the last event the projection applied (its checkpoint).',
    (s) => s.position,
  );
  perProjection(
    'parley_projection_live',
    '1 when the projection follows the log live, 0 while it catches up or is stopped.',
    (s) => (s.live ? 1 : 0),
  );
  perProjection(
    'parley_projection_failing',
    '1 while the projection is stopped on an event it could not apply.',
    (s) => (s.error ? 1 : 0),
  );
}
