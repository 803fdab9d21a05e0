// The generic mode: any architecture, described only by tensor names and shapes (what the reference code
// does for every model). Every tensor axis is its own space, so only rules that depend on sizes alone
// (uniform, first) stay consistent across tensors; layer stacks are found from numbered name segments.
import type { ArchDecl, Component, TensorDecl } from './types.js';

/** Component tags guessed from names, for --exclude; "head" follows the reference (any name containing it). */
export function guessComponent(name: string): Component {
  const n = name.toLowerCase();
  if (n.includes('head')) return 'head';
  if (/(^|\.)(gamma|ls\d|layer_scale)/.test(n)) return 'layer_scale';
  if (/norm|(^|\.)ln_?\w*\./.test(n)) return 'norm';
  if (/attn|attention|self_attn/.test(n)) return 'attn';
  if (/mlp|ffn|feed_forward|fc\d/.test(n)) return 'mlp';
  if (/downsample/.test(n)) return 'downsample';
  if (/embed|stem|patch|cls_token|pos/.test(n)) return 'embed';
  return 'conv';
}

/** Layer stacks: every `prefix.<number>.` in the names, with depth = largest number + 1. */
export function findStacks(names: Iterable<string>): Record<string, number> {
  const stacks: Record<string, number> = {};
  for (const name of names) {
    const parts = name.split('.');
    for (let j = 1; j < parts.length - 1; j++) {
      if (!/^\d+$/.test(parts[j]!)) continue;
      const prefix = parts.slice(0, j).join('.');
      stacks[prefix] = Math.max(stacks[prefix] ?? 0, Number(parts[j]) + 1);
    }
  }
  return stacks;
}

export function declareFromShapes(shapes: ReadonlyMap<string, readonly number[]>): ArchDecl {
  const spaces: Record<string, { size: number }> = {};
  const tensors: TensorDecl[] = [];
  for (const [name, shape] of shapes) {
    const axes = shape.map((size, k) => {
      const space = `${name}#${k}`;
      spaces[space] = { size };
      return { space };
    });
    tensors.push({ name, axes, component: guessComponent(name) });
  }
  return { family: 'generic', config: {}, spaces, tensors, stacks: findStacks(shapes.keys()) };
}
