import { SingleBar } from 'cli-progress';
import { say } from './context';

export interface ProgressReporter {
  update(done: number, total: number): void;
  stop(): void;
}

/** How often a plain (non-terminal) progress line is written. */
const LOG_INTERVAL_MS = 2_000;

const rate = (done: number, startedAt: number): number => done / Math.max((performance.now() - startedAt) / 1000, 1e-3);

/**
 * A progress bar (done/total, rate, ETA) on a terminal; plain periodic lines otherwise, so a log
 * file or CI output stays readable.
 */
export function progressReporter(label: string, unit: string): ProgressReporter {
  const startedAt = performance.now();
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      stream: process.stderr,
      format: `${label} |{bar}| {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
      etaBuffer: 50,
      hideCursor: true,
    });
    let started = false;
    return {
      update(done, total) {
        const payload = { rate: Math.round(rate(done, startedAt)).toLocaleString('en') };
        if (!started) {
          bar.start(total, done, payload);
          started = true;
        } else {
          bar.setTotal(total);
          bar.update(done, payload);
        }
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let lastLine = 0;
  return {
    update(done, total) {
      const now = performance.now();
      if (now - lastLine < LOG_INTERVAL_MS && done < total) return;
      lastLine = now;
      const perSecond = rate(done, startedAt);
      const eta = perSecond > 0 ? Math.ceil((total - done) / perSecond) : 0;
      const percent = total > 0 ? ((100 * done) / total).toFixed(1) : '100.0';
      say(`${label}: ${done}/${total} ${unit} (${percent}%), ${Math.round(perSecond)} ${unit}/s, ETA ${eta}s`);
    },
    stop: () => {},
  };
}
