// What the runner reads and writes in a run's folder: the trainer's summary.json (is the run finished?), run.json
// (the commands, when they started and finished, a failure), and removing files it no longer needs.
import fs from 'node:fs';
import path from 'node:path';
import { RUN_LOCK } from '../run-folder/lock.js';
import { writeJsonAtomic } from '../run-folder/json-file.js';
import type { PlannedRun } from './plan.js';

export interface RunSummary {
  final_acc: number | null;
  final_val_acc?: number | null;
  interrupted: boolean;
  [k: string]: unknown;
}

export function readSummary(dir: string): RunSummary | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
  } catch {
    return null;
  }
}

/** Finished: the trainer wrote summary.json for a run that was not interrupted. */
export function isFinished(dir: string): boolean {
  const s = readSummary(dir);
  return s !== null && !s.interrupted && s.final_acc !== null;
}

export interface RunMeta {
  id: string;
  commands: string[];
  /** Each command's argv (JSON) with paths inside the results folder written relative to it (see runKey). */
  key?: string[];
  started: string;
  finished?: string;
  wall_seconds?: number;
  error?: string;
  /** Set when a changed select command was verified to select the same student (reselect.ts). */
  reselected?: { at: string; previous_commands: string[]; note: string };
}

export function readMeta(dir: string): RunMeta | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunMeta;
  } catch {
    return null;
  }
}

export function writeMeta(dir: string, meta: RunMeta): void {
  writeJsonAtomic(path.join(dir, 'run.json'), meta);
}

/** Delete everything in a run's folder but the runner's lock (which the caller holds). */
export function clearRunFiles(dir: string): void {
  for (const f of fs.readdirSync(dir)) if (f !== RUN_LOCK) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
}

/** Delete the files nobody reads once a run is finished (all are kept with keepCheckpoints). */
export function pruneCheckpoints(r: PlannedRun, keepAll: boolean): void {
  if (keepAll) return;
  const drop = ['last.safetensors', 'best.safetensors', 'student.safetensors', ...(r.needed ? [] : ['final.safetensors'])];
  for (const f of drop) fs.rmSync(path.join(r.dir, f), { force: true });
}
