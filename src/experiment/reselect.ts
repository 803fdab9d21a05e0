// Finished runs whose `wsel select` command changed (e.g. a flag added to pin what used to be a default) are
// `changed`: their results may no longer follow from the config. `verifyReselections` settles that by running
// the new select command again (into a temporary folder) and comparing what it selects with the selection the
// run recorded (its student.selection.json: every space's kept indices, every tensor's source, dtype and shape,
// the layer map, the configs and the resolved rules). Equal: the new command makes the same student, so the
// run's training stands; its run.json takes the new commands and notes the old ones. Different, or any other
// command changed: the run stays changed (to be redone with --rerun-changed).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeJsonAtomic } from '../run-folder/json-file.js';
import { changedRuns, runKey } from './changes.js';
import { WSEL_BIN } from './commands.js';
import { printedCommands, type PlannedRun } from './plan.js';
import { readMeta } from './run-files.js';

/**
 * The parts of a selection record that determine the student: not the tool version or how it was asked, nor the
 * order of the tensors in the file (a model loads them by name).
 */
function selectionOf(record: Record<string, unknown>): string {
  const { recipe: _recipe, ...rules } = (record['options'] ?? {}) as Record<string, unknown>;
  const tensors = [...((record['tensors'] ?? []) as { name: string }[])].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return JSON.stringify([record['arch'], record['teacher'], record['student'], rules, record['layer_map'], record['spaces'], tensors, record['omitted']]);
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export interface ReselectResult {
  /** Runs whose new select command selects the recorded student: kept, run.json updated. */
  verified: string[];
  /** Runs that stay changed, with why. */
  remaining: Map<string, string>;
}

/** Check the changed runs among `selected` (default: all); `all` is the whole grid (for dependencies). */
export function verifyReselections(all: readonly PlannedRun[], selected: readonly PlannedRun[] = all, env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = () => {}): ReselectResult {
  const wanted = new Set(selected.map((r) => r.id));
  const result: ReselectResult = { verified: [], remaining: new Map() };
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'wsel-reselect-'));
  try {
    for (const [id, reason] of changedRuns(all)) {
      if (!wanted.has(id)) continue;
      const r = all.find((x) => x.id === id)!;
      const why = checkRun(r, reason, scratch, env);
      if (why) {
        result.remaining.set(id, why);
        continue;
      }
      const meta = readMeta(r.dir)!;
      writeJsonAtomic(path.join(r.dir, 'run.json'), {
        ...meta, commands: printedCommands(r), key: runKey(r),
        reselected: { at: new Date().toISOString(), previous_commands: meta.commands, note: 'the new select command was run again and selects the same student' },
      });
      result.verified.push(id);
      log(`${id}: the new select command selects the recorded student; kept`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return result;
}

/** Null when the run's only change is a select command that selects the recorded student; else why not. */
function checkRun(r: PlannedRun, reason: string, scratch: string, env: NodeJS.ProcessEnv): string | null {
  if (reason !== 'its commands changed') return reason;
  const old = readMeta(r.dir)?.key;
  const now = runKey(r);
  if (!old || old.length !== now.length) return reason;
  const differing = now.map((k, i) => (k === old[i] ? -1 : i)).filter((i) => i >= 0);
  if (differing.some((i) => r.commands[i]![0] !== 'select')) return `${reason} (not only the select command)`;
  const recorded = readJson(path.join(r.dir, 'student.selection.json'));
  if (!recorded) return `${reason} (no recorded selection to compare with)`;
  for (const i of differing) {
    const argv = [...r.commands[i]!];
    const at = argv.indexOf('--out');
    argv[at + 1] = path.join(scratch, 'student.safetensors');
    const run = spawnSync(process.execPath, [WSEL_BIN, ...argv], { encoding: 'utf8', env });
    if (run.status !== 0) return `${reason} (the new select command failed: ${run.stderr.trim().split('\n').pop()})`;
    const fresh = readJson(path.join(scratch, 'student.selection.json'));
    if (!fresh || selectionOf(fresh) !== selectionOf(recorded)) return `${reason} (the new select command selects another student)`;
  }
  return null;
}
