// The grid's results: one record per planned run, read from what is on disk (so parts running at once agree),
// written to RESULTS/results.jsonl.
import fs from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../run-folder/json-file.js';
import { changedRuns } from './changes.js';
import { printedCommands, type PlannedRun } from './plan.js';
import { readMeta, readSummary } from './run-files.js';

export const RESULTS_FILE = 'results.jsonl';
/** The config the grid last ran with, next to its results. */
export const CONFIG_COPY = 'experiment.json';

export interface RunRecord {
  id: string;
  method: string;
  dataset: string;
  seed: number;
  /** changed: finished, but no longer what the config asks for (see changedRuns); left out of reports. */
  status: 'done' | 'changed' | 'failed' | 'pending';
  dir: string;
  commands: string[];
  /** Test accuracy of the final model. */
  final_acc: number | null;
  /** Validation accuracy of the final model, for runs with --val-size (what a grid chooses on). */
  final_val_acc: number | null;
  parameters: number | null;
  steps: number | null;
  train_seconds: number | null;
  /** Wall time of all the run's commands (process start, data loading, selection, training, evaluation). */
  wall_seconds: number | null;
  ms_per_step: number | null;
  images_seen: number | null;
  error?: string;
  /** Why a finished run no longer matches the config. */
  changed?: string;
}

export function collectRecords(runs: readonly PlannedRun[]): RunRecord[] {
  const changed = changedRuns(runs);
  return runs.map((r) => {
    const s = readSummary(r.dir);
    const meta = readMeta(r.dir);
    const done = s !== null && !s.interrupted && s.final_acc !== null;
    const num = (k: string): number | null => (s && typeof s[k] === 'number' ? (s[k] as number) : null);
    const steps = num('completed_steps');
    const batch = num('batch_size');
    return {
      id: r.id, method: r.method, dataset: r.dataset, seed: r.seed,
      status: changed.has(r.id) ? 'changed' : done ? 'done' : meta?.error ? 'failed' : 'pending',
      dir: r.dir, commands: meta?.commands ?? printedCommands(r),
      final_acc: done ? s!.final_acc : null, final_val_acc: done ? s!.final_val_acc ?? null : null,
      parameters: num('parameters'), steps, train_seconds: num('train_seconds'),
      wall_seconds: done ? meta?.wall_seconds ?? num('wall_seconds') : null,
      ms_per_step: num('ms_per_step'), images_seen: steps !== null && batch !== null ? steps * batch : null,
      ...(meta?.error && !done ? { error: meta.error } : {}),
      ...(changed.has(r.id) ? { changed: changed.get(r.id) } : {}),
    };
  });
}

export function writeResults(root: string, runs: readonly PlannedRun[]): RunRecord[] {
  const records = collectRecords(runs);
  fs.mkdirSync(root, { recursive: true });
  writeJsonAtomic(path.join(root, RESULTS_FILE), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return records;
}
