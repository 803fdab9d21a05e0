// The planner's structured spaces: products of factor spaces chosen once each, and rotary-paired head dimensions.
import { describe, expect, it } from 'vitest';
import { DeclBuilder } from '../../src/arch/builder.js';
import { tensorShape, type ArchDecl } from '../../src/arch/types.js';
import { DEFAULT_PLAN_OPTIONS, planSelection, type PlanOptions } from '../../src/selection/plan.js';

/** Attention with `groups` kv groups of `perGroup` query heads of `dim` dimensions, over a residual of `embed`. */
function gqa(groups: number, perGroup: number, dim: number, embed: number): ArchDecl {
  return new DeclBuilder('test', {})
    .space('embed', embed)
    .space('g', groups).space('r', perGroup).space('d', dim, { paired: true })
    .product('q', ['g', 'r', 'd']).product('kv', ['g', 'd'])
    .tensor('wq', 'attn', 'q', 'embed').tensor('wk', 'attn', 'kv', 'embed').tensor('wo', 'attn', 'embed', 'q')
    .tensor('q_norm', 'norm', 'd')
    .build();
}

function plan(teacher: ArchDecl, student: ArchDecl, options: Partial<PlanOptions> = {}) {
  const teacherShapes = new Map(teacher.tensors.map((t) => [t.name, tensorShape(teacher, t)]));
  const p = planSelection({ teacher, student, teacherShapes, options: { ...DEFAULT_PLAN_OPTIONS, heads: 'whole', ...options } });
  const axis = (tensor: string, k: number) => {
    const a = p.tensors.find((t) => t.name === tensor)!.axes[k]!;
    return a.indices ? Array.from(a.indices) : null;
  };
  return { p, axis };
}

describe('structured spaces', () => {
  it('a product combines its factors row-major; shared factors give q and k the same groups and dimensions', () => {
    const { axis } = plan(gqa(4, 2, 8, 16), gqa(2, 1, 4, 16));
    // groups [0, 2], query head 0 of each, rotary pairs [0, 2] -> dimensions [0, 2, 4, 6].
    expect(axis('wq', 0)).toEqual([0, 2, 4, 6, 32, 34, 36, 38]);
    expect(axis('wk', 0)).toEqual([0, 2, 4, 6, 16, 18, 20, 22]);
    expect(axis('wo', 1)).toEqual(axis('wq', 0));
    expect(axis('q_norm', 0)).toEqual([0, 2, 4, 6]);
    expect(axis('wq', 1)).toBeNull();
  });

  it('rotary pairs stay together and in their halves under every rule', () => {
    for (const elements of ['uniform', 'first', 'random'] as const) {
      const dims = plan(gqa(1, 1, 16, 4), gqa(1, 1, 6, 4), { elements, seed: 3 }).axis('q_norm', 0)!;
      expect(dims).toHaveLength(6);
      for (let j = 0; j < 3; j++) expect(dims[j + 3]).toBe(dims[j]! + 8);
      expect(dims.slice(0, 3).every((d) => d < 8)).toBe(true);
    }
  });

  it('identity when every factor is whole; flat mode treats a product as one dimension', () => {
    expect(plan(gqa(4, 2, 8, 16), gqa(4, 2, 8, 16)).p.tensors.every((t) => t.axes.every((a) => a.indices === null))).toBe(true);
    const flat = plan(gqa(4, 2, 8, 16), gqa(2, 2, 8, 16), { heads: 'flat' }).axis('wq', 0)!;
    expect(flat).toEqual(Array.from({ length: 32 }, (_, i) => 2 * i));
  });

  it('optional tensors the teacher lacks are skipped, required ones are errors', () => {
    const decl = (optional: boolean) => {
      const b = new DeclBuilder('test', {}).space('e', 4).tensor('w', 'mlp', 'e');
      return (optional ? b.optionalTensor('buf', 'embed', 'e') : b.tensor('buf', 'embed', 'e')).build();
    };
    const teacherShapes = new Map([['w', [4]]]);
    const run = (optional: boolean) => planSelection({ teacher: decl(optional), student: decl(optional), teacherShapes, options: DEFAULT_PLAN_OPTIONS });
    expect(run(true).tensors.map((t) => t.name)).toEqual(['w']);
    expect(() => run(false)).toThrow(/buf/);
  });
});
