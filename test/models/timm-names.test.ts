// Every timm name wsel knows declares exactly timm's tensors: the fixture (scripts/make_timm_shapes.py) holds,
// per name, the parameter and tensor counts, the stack depths and the shapes of every tensor outside a stack
// plus the first block of each stack, built from PyTorch mirrors of timm's modules with each name's constructor
// arguments transcribed from timm's source, independently of the table in src/arch/timm-names.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lookupTimmName, TIMM_NAMES } from '../../src/arch/timm-names.js';
import { tensorShape } from '../../src/arch/types.js';
import { trainableFamily } from '../../src/models/index.js';
import { REPO_ROOT } from '../helpers.js';

interface Expected { parameters: number; tensors: number; stacks: Record<string, number>; shapes: Record<string, number[]> }
const FIXTURE = JSON.parse(readFileSync(`${REPO_ROOT}/test/fixtures/timm-shapes.json`, 'utf8')) as Record<string, Expected>;
const STACK = /^((?:stages\.\d+\.)?blocks)\.(\d+)\./;

function declaredByName(name: string): Expected {
  const entry = lookupTimmName(name)!;
  const family = trainableFamily(entry.family);
  const config = family.arch.studentConfig({ ...family.defaults, num_classes: 1000 }, { name });
  const decl = family.arch.declare(config);
  const shapes: Record<string, number[]> = {};
  let parameters = 0;
  for (const t of decl.tensors) {
    const shape = tensorShape(decl, t);
    parameters += shape.reduce((a, b) => a * b, 1);
    const m = STACK.exec(t.name);
    if (!m || m[2] === '0') shapes[t.name] = shape;
  }
  return { parameters, tensors: decl.tensors.length, stacks: { ...decl.stacks }, shapes };
}

describe('timm names declare timm\'s tensors', () => {
  it('the table and the fixture name the same models', () => {
    expect(Object.keys(TIMM_NAMES).sort()).toEqual(Object.keys(FIXTURE).sort());
  });

  for (const name of Object.keys(FIXTURE)) {
    it(name, () => {
      expect(declaredByName(name)).toEqual(FIXTURE[name]);
    });
  }

  it('a pretrained tag names weights, not shapes', () => {
    expect(lookupTimmName('vit_base_patch16_224.augreg2_in21k_ft_in1k')).toBe(TIMM_NAMES.vit_base_patch16_224);
    expect(lookupTimmName('vit_base_patch16_225')).toBeUndefined();
  });
});
