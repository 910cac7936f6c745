import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Counters for /metrics. `connections` and `users` are gauges (open sockets, distinct users with
 * one); the rest count since start: frames received and sent, error frames sent, frames refused by
 * the rate limit, upgrades refused (bad token, wrong path, shutting down), and sockets closed by the
 * server for each reason. `feed_position` is the last log position the delivery feed handed out.
 */
export interface ChatStats {
  connections: number;
  users: number;
  frames_in: number;
  frames_out: number;
  errors_out: number;
  rate_limited: number;
  upgrades_refused: number;
  closed_slow_reader: number;
  closed_dead_peer: number;
  closed_token_expired: number;
  closed_session_revoked: number;
  feed_position: number;
}

type Stats = () => ChatStats | null | undefined;
type Total = keyof ChatStats;

/**
 * A prom-client counter that mirrors totals kept by the chat server: each scrape adds what each
 * total grew by since the last one (a total that went down becomes the new baseline).
 */
function mirroredCounter(
  registry: Registry,
  stats: Stats,
  name: string,
  help: string,
  series: [Record<string, string>, Total][],
) {
  const seen = new Map<Total, number>();
  const labelNames = [...new Set(series.flatMap(([labels]) => Object.keys(labels)))];
  return new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      const s = stats();
      for (const [labels, total] of series) {
        // Every series is reported from the first scrape on, at 0 if nothing happened yet.
        this.inc(labels, 0);
        if (!s) continue;
        const grown = s[total] - (seen.get(total) ?? 0);
        if (grown > 0) this.inc(labels, grown);
        seen.set(total, s[total]);
      }
    },
  });
}

function currentGauge(registry: Registry, stats: Stats, name: string, help: string, value: Total) {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      const s = stats();
      if (s) this.set(s[value]);
    },
  });
}

/** WebSocket metrics, read from the chat server's counters at scrape time: registerChatMetrics(registry, () => chat.stats()). */
export function registerChatMetrics(registry: Registry, stats: Stats): void {
  currentGauge(registry, stats, 'parley_ws_connections', 'WebSocket connections open now.', 'connections');
  currentGauge(registry, stats, 'parley_ws_users', 'Distinct users with at least one open WebSocket.', 'users');
  currentGauge(
    registry,
    stats,
    'parley_ws_feed_position',
    'Last log position the live delivery feed handed to sockets.',
    'feed_position',
  );
  mirroredCounter(
    registry,
    stats,
    'parley_ws_frames_total',
    'WebSocket frames, by direction (in: from clients, out: to clients).',
    [
      [{ direction: 'in' }, 'frames_in'],
      [{ direction: 'out' }, 'frames_out'],
    ],
  );
  mirroredCounter(registry, stats, 'parley_ws_error_frames_total', 'Error frames sent to WebSocket clients.', [
    [{}, 'errors_out'],
  ]);
  mirroredCounter(registry, stats, 'parley_ws_rate_limited_total', 'Client frames refused by the rate limit.', [
    [{}, 'rate_limited'],
  ]);
  mirroredCounter(
    registry,
    stats,
    'parley_ws_upgrades_refused_total',
    'WebSocket upgrades refused (bad token, wrong path, shutting down).',
    [[{}, 'upgrades_refused']],
  );
  mirroredCounter(registry, stats, 'parley_ws_closed_by_server_total', 'WebSockets the server closed, by reason.', [
    [{ reason: 'slow_reader' }, 'closed_slow_reader'],
    [{ reason: 'dead_peer' }, 'closed_dead_peer'],
    [{ reason: 'token_expired' }, 'closed_token_expired'],
    [{ reason: 'session_revoked' }, 'closed_session_revoked'],
  ]);
}
