// Timing external commands for the benchmarks: wall time (median of repeats after a warm-up) and peak RSS
// (from GNU time, when the machine has it).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const TIME = '/usr/bin/time';
export const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

export interface Run { seconds: number; rssMiB: number | null; stdout: string }

/** Run a command `REPEATS` times (after one warm-up): median wall time, max peak RSS. `before` runs untimed. */
export function measure(cmd: string, args: string[], before?: () => void): Run {
  const hasTime = existsSync(TIME);
  const runs: Run[] = [];
  for (let i = 0; i <= REPEATS; i++) {
    before?.();
    const t0 = performance.now();
    const r = hasTime
      ? spawnSync(TIME, ['-f', 'WSEL_TIME %e %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 })
      : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
    const m = /WSEL_TIME ([\d.]+) (\d+)/.exec(r.stderr ?? '');
    if (i > 0) runs.push({ seconds, rssMiB: m ? Number(m[2]) / 1024 : null, stdout: r.stdout });
  }
  runs.sort((a, b) => a.seconds - b.seconds);
  const rss = runs.map((r) => r.rssMiB).filter((x): x is number => x !== null);
  return { ...runs[Math.floor(runs.length / 2)]!, rssMiB: rss.length ? Math.max(...rss) : null };
}
