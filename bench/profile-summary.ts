/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions and files with the most self
 * time. Usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function summarizeProfile(file: string, top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const short = url
      .replace(/^file:\/\//, '')
      .replace(/.*\/node_modules\//, 'nm:')
      .replace(/.*\/(dist|src|bench)\//, '$1/');
    const fn = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    const f = short || functionName;
    byFile.set(f, (byFile.get(f) ?? 0) + us);
  }
  const table = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, us]) => `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`,
      )
      .join('\n');
  return `total ${(total / 1000).toFixed(0)} ms\n-- self time by function --\n${table(byFunction)}\n-- self time by file --\n${table(byFile)}\n${longTasks(profile, byId)}`;
}

/** The longest stretches without an idle sample (what blocks the event loop), with what ran in them. */
function longTasks(profile: CpuProfile, byId: Map<number, ProfileNode>, top = 8): string {
  const tasks: { start: number; us: number; fns: Map<string, number> }[] = [];
  let current: (typeof tasks)[number] | null = null;
  let clock = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    clock += dt;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') {
      current = null;
      return;
    }
    if (!current) tasks.push((current = { start: clock, us: 0, fns: new Map() }));
    current.us += dt;
    const short = url.replace(/.*\/node_modules\//, 'nm:').replace(/.*\/(dist|src|bench)\//, '$1/');
    const fn = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
    current.fns.set(fn, (current.fns.get(fn) ?? 0) + dt);
  });
  return `-- longest non-idle stretches --\n${tasks
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((t) => {
      const fns = [...t.fns]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([f, us]) => `${(us / 1000).toFixed(0)}ms ${f}`)
        .join('; ');
      return `${(t.us / 1000).toFixed(0).padStart(6)} ms at ${(t.start / 1e6).toFixed(1)}s: ${fns}`;
    })
    .join('\n')}`;
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: profile-summary.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(summarizeProfile(file, Number(top ?? 25)));
}
