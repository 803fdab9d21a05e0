// Splitting a grid into parts that run at the same time (`wsel experiment --parts N/M`).
import type { PlannedRun } from './plan.js';

/**
 * Split runs into M parts of similar cost (planned steps), keeping each (stage, dataset, seed, model family) group
 * together, since the runs a run reads are usually in its group; part is 1-based.
 */
export function partOf(runs: readonly PlannedRun[], part: number, parts: number): PlannedRun[] {
  const groupKey = (r: PlannedRun) => `${r.stage}|${r.dataset}|${r.seed}|${r.method.split('/')[0]}`;
  const groups = new Map<string, PlannedRun[]>();
  for (const r of runs) {
    const key = groupKey(r);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  const load = new Array<number>(parts).fill(0);
  const owner = new Map<string, number>();
  for (const [key, rs] of groups) {
    let best = 0;
    for (let i = 1; i < parts; i++) if (load[i]! < load[best]!) best = i;
    owner.set(key, best);
    load[best]! += rs.reduce((a, r) => a + r.steps, 0);
  }
  return runs.filter((r) => owner.get(groupKey(r)) === part - 1);
}
