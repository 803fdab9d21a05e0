// End to end against the paper's reference rule computed in PyTorch on the same teacher file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convnext, vit } from '../../src/arch/index.js';
import { CONVNEXT_DEFAULTS } from '../../src/arch/convnext.js';
import { VIT_DEFAULTS } from '../../src/arch/vit.js';
import { writeSyntheticCheckpoint } from '../../src/arch/synthetic.js';
import { openCheckpoint } from '../../src/checkpoint/node/open.js';
import { select } from '../../src/selection/node/select.js';
import { hasTorch, makeTmpDir, REPO_ROOT, runPython } from '../helpers.js';

const tmp = makeTmpDir();
const VIT_S = { ...VIT_DEFAULTS, embed_dim: 384, num_heads: 6 };
const CONVNEXT_T = { ...CONVNEXT_DEFAULTS };
afterAll(() => tmp.cleanup());

function compareWithReference(teacher: string, student: string): void {
  const ref = tmp.file(`ref-${Math.random().toString(36).slice(2)}.safetensors`);
  runPython([`${REPO_ROOT}/scripts/reference_selection.py`, 'compare', '--teacher', teacher, '--student', student, '--out', ref]);
  const ours = openCheckpoint(student);
  const theirs = openCheckpoint(ref);
  try {
    expect([...ours.tensors.keys()].sort()).toEqual([...theirs.tensors.keys()].sort());
    const differing = [...ours.tensors.keys()].filter((name) => {
      const a = ours.readBytes(name);
      const b = theirs.readBytes(name);
      return a.length !== b.length || Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0;
    });
    expect(differing).toEqual([]);
  } finally {
    ours.close();
    theirs.close();
  }
}

// The paper's rule is one option away from the default: --recipe reference.
describe.skipIf(!hasTorch())('selection equals the PyTorch reference element for element', () => {
  let vitTeacher = '';
  let convTeacher = '';
  beforeAll(() => {
    vitTeacher = tmp.file('vit_small.safetensors');
    writeSyntheticCheckpoint(vit.declare(VIT_S), vitTeacher, 1);
  }, 120_000);

  it('ViT-S -> ViT-Ti (192 wide, 3 heads)', () => {
    const out = tmp.file('vit_tiny.safetensors');
    const result = select({ arch: 'vit', teacher: vitTeacher, out, student: { embed_dim: 192 }, recipe: 'reference' });
    expect(result.studentConfig.num_heads).toBe(3);
    compareWithReference(vitTeacher, out);
  });

  it('ConvNeXt-T -> ConvNeXt-Femto (2,2,6,2 / 48,96,192,384)', () => {
    convTeacher = tmp.file('convnext_tiny.safetensors');
    writeSyntheticCheckpoint(convnext.declare(CONVNEXT_T), convTeacher, 2);
    const out = tmp.file('convnext_femto.safetensors');
    const result = select({ arch: 'convnext', teacher: convTeacher, out, student: { depths: [2, 2, 6, 2], dims: [48, 96, 192, 384] }, recipe: 'reference' });
    expect(result.layerMap['stages.2.blocks']).toEqual([0, 1, 2, 3, 4, 5]);
    compareWithReference(convTeacher, out);
    // timm's convnext_femto has 1x1-conv MLPs: by name, the same numbers, with the MLP weights as [out, in, 1, 1].
    const named = tmp.file('convnext_femto_named.safetensors');
    select({ arch: 'convnext', teacher: convTeacher, out: named, student: { name: 'convnext_femto' }, recipe: 'reference' });
    const a = openCheckpoint(out);
    const b = openCheckpoint(named);
    try {
      expect([...b.tensors.keys()]).toEqual([...a.tensors.keys()]);
      for (const [name, info] of a.tensors) {
        const fc = /mlp\.fc\d\.weight$/.test(name);
        expect(b.tensors.get(name)!.shape).toEqual(fc ? [...info.shape, 1, 1] : info.shape);
        expect(Buffer.from(b.readBytes(name)).equals(Buffer.from(a.readBytes(name)))).toBe(true);
      }
    } finally {
      a.close();
      b.close();
    }
  });
});

describe.skipIf(!hasTorch())('non-divisible widths follow the reference too', () => {
  it('ViT-S (384) -> width 256, 4 heads, 6 blocks: fused qkv selected as one 1152 -> 768 axis', () => {
    const teacher = tmp.file('vit_small_b.safetensors');
    writeSyntheticCheckpoint(vit.declare({ ...VIT_S, depth: 6, img_size: 64 }), teacher, 3);
    const out = tmp.file('vit_256.safetensors');
    select({ arch: 'vit', teacher, out, student: { embed_dim: 256, depth: 4 }, recipe: 'reference' });
    compareWithReference(teacher, out);
  });
});

describe.skipIf(!hasTorch())('PyTorch .pth teachers', () => {
  it('a {"model": state_dict} .pth teacher gives the same student as its safetensors twin', () => {
    const teacher = tmp.file('vit_pth_twin.safetensors');
    writeSyntheticCheckpoint(vit.declare({ ...VIT_S, depth: 3, img_size: 64 }), teacher, 9);
    const pth = tmp.file('vit_pth_twin.pth');
    runPython(['-c', `import sys, torch; sys.path.insert(0, ${JSON.stringify(`${REPO_ROOT}/scripts`)}); from reference_selection import read_safetensors; torch.save({"model": read_safetensors(${JSON.stringify(teacher)}), "epoch": 3}, ${JSON.stringify(pth)})`]);
    const fromSt = tmp.file('from_st.safetensors');
    const fromPth = tmp.file('from_pth.safetensors');
    select({ arch: 'vit', teacher, out: fromSt, student: { embed_dim: 192, depth: 2 }, recipe: 'reference' });
    select({ arch: 'vit', teacher: pth, out: fromPth, student: { embed_dim: 192, depth: 2 }, recipe: 'reference' });
    const a = openCheckpoint(fromSt);
    const b = openCheckpoint(fromPth);
    expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
    for (const name of a.tensors.keys()) expect(Buffer.from(a.readBytes(name)).equals(Buffer.from(b.readBytes(name))), name).toBe(true);
    a.close();
    b.close();
    compareWithReference(teacher, fromPth);
  });
});
