// Selecting runs by id (`wsel experiment --only`): globs over DATASET/METHOD/sSEED.
import type { PlannedRun } from './plan.js';

/** Glob over run ids (`*` within a segment, `**` across, `{a,b}` alternatives); a comma-separated list is OR. */
export function matchRun(pattern: string, run: Pick<PlannedRun, 'id'>): boolean {
  return splitTop(pattern).some((p) => globToRegExp(p).test(run.id));
}

function splitTop(pattern: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of pattern) {
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter(Boolean);
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') re += '[^/]';
    else if (ch === '{') re += '(?:';
    else if (ch === '}') re += ')';
    else if (ch === ',') re += '|';
    else re += ch.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  // A pattern without a seed (or method) part matches every run below it.
  return new RegExp(`^${re}(?:/.*)?$`);
}
