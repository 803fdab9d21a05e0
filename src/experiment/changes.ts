// Stale-run detection: a run's files (finished or interrupted) that no longer follow from the config, because its
// commands changed or a run it starts from changed or was made again after it. Reusing them would mix old
// results into the new grid.
import path from 'node:path';
import type { PlannedRun } from './plan.js';
import { isFinished, readMeta } from './run-files.js';

/**
 * What a run's commands mean, independent of how the results folder is spelled (relative, absolute, ./):
 * every path argument inside the folder is written as $ROOT/... Two runs with equal keys compute the same thing.
 */
export function runKey(r: PlannedRun): string[] {
  const root = path.resolve(r.root);
  return r.commands.map((argv) => JSON.stringify(argv.map((t) => {
    if (!t.includes('/') && !t.includes(path.sep)) return t;
    const rel = path.relative(root, path.resolve(t));
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? `$ROOT/${rel.split(path.sep).join('/')}` : t;
  })));
}

/**
 * Why a run's files no longer follow from the config, or null: its commands changed, or a run it starts from
 * changed or was made again after it started. `reasonOf` gives the same for its dependencies. Runs recorded
 * without a key (older versions) are checked by their dependencies only.
 */
export function staleReason(r: PlannedRun, index: Map<string, PlannedRun>, reasonOf: (dep: PlannedRun) => string | null): string | null {
  const meta = readMeta(r.dir);
  if (!meta) return null;
  if (meta.key && JSON.stringify(meta.key) !== JSON.stringify(runKey(r))) return 'its commands changed';
  for (const id of r.deps) {
    const dep = index.get(id);
    if (!dep) continue;
    if (reasonOf(dep)) return `${id} changed`;
    const depFinished = readMeta(dep.dir)?.finished;
    if (depFinished && depFinished > meta.started) return `${id} was made again after it`;
  }
  return null;
}

/**
 * Finished runs whose results no longer follow from the config, with the reason: their commands changed (the
 * config was edited), or a run they start from (KD teacher, pre-trained student) changed or was made again
 * after them.
 */
export function changedRuns(all: readonly PlannedRun[]): Map<string, string> {
  const index = new Map(all.map((r) => [r.id, r]));
  const memo = new Map<string, string | null>();
  const reasonOf = (r: PlannedRun): string | null => {
    if (memo.has(r.id)) return memo.get(r.id)!;
    memo.set(r.id, null);
    const reason = isFinished(r.dir) ? staleReason(r, index, reasonOf) : null;
    memo.set(r.id, reason);
    return reason;
  };
  const out = new Map<string, string>();
  for (const r of all) {
    const reason = reasonOf(r);
    if (reason) out.set(r.id, reason);
  }
  return out;
}
