// Layer selection: which teacher layer each student layer copies, per stack of layers.
import { parseJson, preview } from '../safe-json.js';
import { SelectionError } from './errors.js';
import { uniformIndices } from './index-rules.js';

export type LayerRuleName = 'first' | 'uniform' | 'last' | 'middle';
export const LAYER_RULES: readonly LayerRuleName[] = ['first', 'uniform', 'last', 'middle'];
/** A named rule, or explicit teacher indices: one list per stack (in stack order), or one list for every stack. */
export type LayerRule = LayerRuleName | number[][];

export function chooseLayers(rule: LayerRuleName, teacherDepth: number, studentDepth: number): number[] {
  if (studentDepth > teacherDepth) {
    throw new SelectionError(`the student has ${studentDepth} layers but the teacher only ${teacherDepth}`);
  }
  const range = (start: number) => Array.from({ length: studentDepth }, (_, i) => start + i);
  switch (rule) {
    case 'first': return range(0);
    case 'last': return range(teacherDepth - studentDepth);
    case 'middle': return range(Math.floor((teacherDepth - studentDepth) / 2));
    case 'uniform': return Array.from(uniformIndices(teacherDepth, studentDepth));
  }
}

/** Parse `--layers`: a rule name, "0,2,4" (one stack), or JSON like [[0,1],[0,1],[0,2,4,6,8,10],[0,1]]. */
export function parseLayerRule(text: string): LayerRule {
  const trimmed = text.trim();
  if ((LAYER_RULES as readonly string[]).includes(trimmed)) return trimmed as LayerRuleName;
  let lists: unknown;
  if (trimmed.startsWith('[')) {
    lists = parseJson(trimmed, (problem) => new SelectionError(`--layers: ${problem}`));
    if (Array.isArray(lists) && lists.every((x) => typeof x === 'number')) lists = [lists];
  } else {
    lists = [trimmed.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)))];
  }
  if (!Array.isArray(lists) || !lists.every((l) => Array.isArray(l) && l.every((i) => Number.isInteger(i) && i >= 0))) {
    throw new SelectionError(`--layers must be one of ${LAYER_RULES.join(', ')}, a list like 0,2,4, or per-stack JSON like [[0,1],[0,2]]; got ${preview(text)}`);
  }
  return lists as number[][];
}

/**
 * The teacher layer for every student layer of every stack. Explicit lists are matched to stacks in order;
 * a single list applies to every stack.
 */
export function buildLayerMap(
  rule: LayerRule, studentStacks: Readonly<Record<string, number>>, teacherDepth: (stack: string) => number,
): Record<string, number[]> {
  const stacks = Object.keys(studentStacks);
  const map: Record<string, number[]> = {};
  stacks.forEach((stack, k) => {
    const depth = studentStacks[stack]!;
    const tDepth = teacherDepth(stack);
    if (typeof rule === 'string') {
      if (depth > tDepth) throw new SelectionError(`${stack}: the student has ${depth} layers but the teacher only ${tDepth}`);
      map[stack] = chooseLayers(rule, tDepth, depth);
      return;
    }
    if (rule.length !== 1 && rule.length !== stacks.length) {
      throw new SelectionError(`--layers gives ${rule.length} lists but the model has ${stacks.length} layer stacks (${stacks.join(', ')})`);
    }
    const list = rule.length === 1 ? rule[0]! : rule[k]!;
    if (list.length !== depth) {
      throw new SelectionError(`--layers for ${stack}: ${list.length} indices given, the student has ${depth} layers`);
    }
    for (const i of list) {
      if (i >= tDepth) throw new SelectionError(`--layers for ${stack}: teacher layer ${i} does not exist (the teacher has ${tDepth})`);
    }
    map[stack] = [...list];
  });
  return map;
}

/**
 * Rename a student tensor or space name to the teacher's: `<stack>.<i>.rest` becomes `<stack>.<map[i]>.rest`.
 * Inner (longer) stacks are renamed first so that nested stacks (stages.1.blocks inside stages) both apply.
 */
export function makeRenamer(layerMap: Readonly<Record<string, number[]>>): (name: string) => string {
  const stacks = Object.keys(layerMap).sort((a, b) => b.length - a.length);
  return (name) => {
    let out = name;
    for (const stack of stacks) {
      if (!out.startsWith(`${stack}.`)) continue;
      const rest = out.slice(stack.length + 1);
      const m = /^(\d+)(\.|$)/.exec(rest);
      if (!m) continue;
      const teacherIndex = layerMap[stack]![Number(m[1])];
      if (teacherIndex === undefined) continue;
      out = `${stack}.${teacherIndex}${rest.slice(m[1]!.length)}`;
    }
    return out;
  };
}
