import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONVNEXT_DEFAULTS } from '../../src/arch/convnext.js';
import { convnext, mixer, vit } from '../../src/arch/index.js';
import { MIXER_DEFAULTS } from '../../src/arch/mixer.js';
import { writeSyntheticCheckpoint } from '../../src/arch/synthetic.js';
import { tensorShape } from '../../src/arch/types.js';
import { VIT_DEFAULTS, type VitConfig } from '../../src/arch/vit.js';
import { convertFloat } from '../../src/checkpoint/dtype.js';
import { openCheckpoint } from '../../src/checkpoint/node/open.js';
import { saveSafetensors } from '../../src/checkpoint/node/write.js';
import { uniformIndices } from '../../src/selection/index-rules.js';
import { select } from '../../src/selection/node/select.js';
import { makeTmpDir } from '../helpers.js';
import { keptAlongAxis, readInt32, writeIndexTeacher } from './teachers.js';

const tmp = makeTmpDir();
afterAll(() => tmp.cleanup());

const TEACHER: VitConfig = {
  ...VIT_DEFAULTS, img_size: 32, patch_size: 8, embed_dim: 48, num_heads: 4, depth: 4, num_classes: 10,
};
const STUDENT = { embed_dim: 24, depth: 2 };
// 48 wide is not a multiple of 64, so the head count cannot be guessed from shapes: the teachers record it, as
// wsel writes them (HEADS says it where a test uses a teacher without the record).
const HEADS = { num_heads: 4 };
const RECORDED = { 'wsel.arch': 'vit', 'wsel.config': JSON.stringify(TEACHER) };
let indexTeacher = '';
let floatTeacher = '';

beforeAll(() => {
  indexTeacher = tmp.file('index_teacher.safetensors');
  writeIndexTeacher(vit.declare(TEACHER), indexTeacher, { origin: 'unit-test', ...RECORDED });
  floatTeacher = tmp.file('float_teacher.safetensors');
  writeSyntheticCheckpoint(vit.declare(TEACHER), floatTeacher, 5, RECORDED);
});

let outCount = 0;
const nextOut = () => tmp.file(`out${outCount++}.safetensors`);

/** Every axis of every student tensor, decoded to teacher indices, grouped by the declared space. */
function keptBySpace(out: string, studentOverrides = STUDENT) {
  const student = vit.declare(vit.studentConfig(TEACHER, studentOverrides));
  const teacher = vit.declare(TEACHER);
  const teacherShapes = new Map(teacher.tensors.map((t) => [t.name, tensorShape(teacher, t)]));
  const reader = openCheckpoint(out);
  const record = JSON.parse(readFileSync(out.replace('.safetensors', '.selection.json'), 'utf8'));
  const sources = new Map<string, string>(record.tensors.map((t: { name: string; source: string }) => [t.name, t.source]));
  reader.close();
  const bySpace = new Map<string, { tensor: string; axis: number; repeat: number; kept: number[] }[]>();
  for (const t of student.tensors) {
    if (!sources.has(t.name)) continue;
    const { shape, values } = readInt32(out, t.name);
    const tShape = teacherShapes.get(sources.get(t.name)!)!;
    t.axes.forEach((axis, k) => {
      const kept = keptAlongAxis(values, shape, tShape, k);
      const list = bySpace.get(axis.space) ?? [];
      list.push({ tensor: t.name, axis: k, repeat: axis.repeat ?? 1, kept });
      bySpace.set(axis.space, list);
    });
  }
  return bySpace;
}

/** A repeated (fused) axis split into its copies, each relative to its own block. */
function splitRepeat(kept: number[], repeat: number, teacherSize: number): number[][] {
  const per = kept.length / repeat;
  return Array.from({ length: repeat }, (_, r) => kept.slice(r * per, (r + 1) * per).map((i) => i - r * teacherSize));
}

describe('consistency: one index set per dimension space', () => {
  for (const elements of ['uniform', 'first', 'random', 'magnitude'] as const) {
    for (const heads of ['flat', 'whole'] as const) {
      it(`${elements}, heads ${heads}: every axis of a space keeps the same teacher indices`, () => {
        const out = nextOut();
        select({ arch: 'vit', teacher: elements === 'magnitude' ? floatTeacher : indexTeacher, out, student: STUDENT, teacherConfig: HEADS, elements, heads, seed: 11 });
        if (elements === 'magnitude') return; // values are floats here; consistency of the rule is covered below
        for (const [space, axes] of keptBySpace(out)) {
          const sizes = vit.declare(TEACHER).spaces;
          const teacherSize = sizes[space.replace(/^blocks\.\d+/, 'blocks.0')]!.size;
          const sets = axes.flatMap((a) => (a.repeat > 1 ? splitRepeat(a.kept, a.repeat, teacherSize) : [a.kept]));
          if (elements === 'uniform' && heads === 'flat' && axes.some((a) => a.repeat > 1)) continue; // reference: fused axis selected whole
          for (const s of sets) expect(s, `${space}`).toEqual(sets[0]);
        }
      });
    }
  }

  it('random-inconsistent draws different indices for tensors sharing a space', () => {
    const out = nextOut();
    select({ arch: 'vit', teacher: indexTeacher, out, student: STUDENT, elements: 'random-inconsistent', seed: 3 });
    const embed = keptBySpace(out).get('embed')!;
    const distinct = new Set(embed.map((a) => a.kept.join(',')));
    expect(distinct.size).toBeGreaterThan(embed.length / 2);
  });

  it('random is reproducible by seed and changes with it', () => {
    const a = nextOut();
    const b = nextOut();
    const c = nextOut();
    select({ arch: 'vit', teacher: indexTeacher, out: a, student: STUDENT, elements: 'random', seed: 1 });
    select({ arch: 'vit', teacher: indexTeacher, out: b, student: STUDENT, elements: 'random', seed: 1 });
    select({ arch: 'vit', teacher: indexTeacher, out: c, student: STUDENT, elements: 'random', seed: 2 });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(readFileSync(a).equals(readFileSync(c))).toBe(false);
  });

  it('uniform keeps the reference indices in the residual stream', () => {
    const out = nextOut();
    select({ arch: 'vit', teacher: indexTeacher, out, student: STUDENT, recipe: 'reference' });
    const embed = keptBySpace(out).get('embed')!;
    for (const a of embed) expect(a.kept).toEqual(Array.from(uniformIndices(48, 24)));
  });
});

describe('attention heads', () => {
  it('--heads whole keeps whole heads in q, k and v and the matching proj columns', () => {
    const out = nextOut();
    const result = select({ arch: 'vit', teacher: indexTeacher, out, student: { embed_dim: 24, depth: 2 }, teacherConfig: HEADS, elements: 'uniform', heads: 'whole' });
    expect(result.studentConfig.num_heads).toBe(2);
    const attn = keptBySpace(out).get('blocks.0.attn')!;
    const qkv = attn.find((a) => a.tensor === 'blocks.0.attn.qkv.weight')!;
    const [q, k, v] = splitRepeat(qkv.kept, 3, 48);
    // 4 heads of 12 -> 2 heads of 12: uniform over heads keeps heads 0 and 2, each whole.
    const whole = [...Array.from({ length: 12 }, (_, i) => i), ...Array.from({ length: 12 }, (_, i) => 24 + i)];
    expect(q).toEqual(whole);
    expect(k).toEqual(whole);
    expect(v).toEqual(whole);
    expect(attn.find((a) => a.tensor === 'blocks.0.attn.proj.weight')!.kept).toEqual(whole);
  });

  it('--heads flat selects fused qkv rows as one dimension (reference behaviour)', () => {
    const out = nextOut();
    select({ arch: 'vit', teacher: indexTeacher, out, student: STUDENT, recipe: 'reference', heads: 'flat' });
    const qkv = keptBySpace(out).get('blocks.0.attn')!.find((a) => a.tensor === 'blocks.0.attn.qkv.weight')!;
    expect(qkv.kept).toEqual(Array.from(uniformIndices(144, 72)));
  });

  it('the head rule: a new width keeps the head width when it divides it, else asks for num_heads', () => {
    const base = (embed_dim: number, num_heads: number) => ({ ...VIT_DEFAULTS, embed_dim, num_heads });
    expect(vit.studentConfig(base(128, 2), { embed_dim: 64 }).num_heads).toBe(1);
    expect(vit.studentConfig(base(384, 6), { embed_dim: 192 }).num_heads).toBe(3);
    expect(vit.studentConfig(base(96, 3), { embed_dim: 64 }).num_heads).toBe(2);
    expect(() => vit.studentConfig(base(96, 3), { embed_dim: 48 })).toThrow(/embed_dim 48 cannot keep the 32-wide heads of 96 \(3 x 32\): give num_heads.*"num_heads": 3/);
    expect(() => vit.studentConfig(base(96, 3), { embed_dim: 40 })).toThrow(/embed_dim 40 cannot keep the 32-wide heads.*give num_heads, a divisor of 40/);
    expect(vit.studentConfig(base(96, 3), { embed_dim: 48, num_heads: 3 }).num_heads).toBe(3);
    // The width unchanged: the head count stays whatever it is.
    expect(vit.studentConfig(base(96, 3), { depth: 2 }).num_heads).toBe(3);
  });

  it('--heads whole refuses a student whose heads are not the teacher\'s width, naming what to set', () => {
    expect(() => select({ arch: 'vit', teacher: indexTeacher, out: nextOut(), student: { embed_dim: 24, num_heads: 4 }, heads: 'whole' }))
      .toThrow(/--heads whole keeps the teacher's 12-wide heads \(4 x 12\), but the student's are 6 wide \(4 x 6\); set the student's num_heads to 2/);
    expect(() => select({ arch: 'vit', teacher: indexTeacher, out: nextOut(), student: { embed_dim: 30, num_heads: 3 }, heads: 'whole' }))
      .toThrow(/make the student's width a multiple of 12, or use --heads flat/);
    // flat narrows every head instead
    expect(select({ arch: 'vit', teacher: indexTeacher, out: nextOut(), student: { embed_dim: 24, num_heads: 4 }, heads: 'flat' }).studentConfig.num_heads).toBe(4);
  });

  it('a teacher whose head count is only guessed from its width: the error says how to give it', () => {
    const bare = tmp.file('bare_vit.safetensors');
    writeSyntheticCheckpoint(vit.declare(TEACHER), bare, 4);
    expect(() => select({ arch: 'vit', teacher: bare, out: nextOut(), student: STUDENT }))
      .toThrow(/embed_dim 24 cannot keep the 48-wide heads.*not recorded.*--teacher-config/);
    expect(select({ arch: 'vit', teacher: bare, out: nextOut(), student: STUDENT, teacherConfig: HEADS }).studentConfig.num_heads).toBe(2);
  });

  it('reads the head count from a checkpoint written by wsel', () => {
    const first = nextOut();
    select({ arch: 'vit', teacher: indexTeacher, out: first, student: { depth: 3 }, teacherConfig: HEADS, keepHead: true });
    const second = nextOut();
    const result = select({ arch: 'vit', teacher: first, out: second, student: { embed_dim: 24 } });
    expect(result.teacherConfig.num_heads).toBe(4);
    expect(result.studentConfig.num_heads).toBe(2);
  });
});

describe('magnitude rule', () => {
  it('keeps the residual channels with the largest L1 norm over every tensor', () => {
    const decl = vit.declare(TEACHER);
    const strong = new Set([1, 5, 6, 9, 20, 30, 31, 33, 40, 41, 42, 43, 44, 45, 46, 47, 2, 3, 4, 7, 8, 10, 11, 12]);
    const tensors = decl.tensors.map((t) => {
      const shape = tensorShape(decl, t);
      const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
      const strides = shape.map((_, k) => shape.slice(k + 1).reduce((a, b) => a * b, 1));
      for (let i = 0; i < values.length; i++) {
        let scale = 1;
        t.axes.forEach((axis, k) => {
          if (axis.space === 'embed' && strong.has(Math.floor(i / strides[k]!) % shape[k]!)) scale = 10;
        });
        values[i] = (i % 2 ? -1 : 1) * scale;
      }
      return { name: t.name, dtype: 'F32' as const, shape, data: new Uint8Array(values.buffer) };
    });
    const teacher = tmp.file('magnitude_teacher.safetensors');
    saveSafetensors(teacher, tensors);
    const out = nextOut();
    select({ arch: 'vit', teacher, out, student: STUDENT, teacherConfig: HEADS, elements: 'magnitude' });
    const record = JSON.parse(readFileSync(out.replace('.safetensors', '.selection.json'), 'utf8'));
    expect(record.spaces.embed.indices).toEqual([...strong].sort((a, b) => a - b));
  });
});

describe('layers, components and head', () => {
  it('layer rules map student blocks to the chosen teacher blocks', () => {
    const cases: [Parameters<typeof select>[0]['layers'], number[]][] = [
      ['first', [0, 1]], ['last', [2, 3]], ['middle', [1, 2]], ['uniform', [0, 2]], [[[3, 0]], [3, 0]],
    ];
    for (const [layers, expected] of cases) {
      const out = nextOut();
      const result = select({ arch: 'vit', teacher: floatTeacher, out, student: { depth: 2 }, layers });
      expect(result.layerMap.blocks).toEqual(expected);
      const student = openCheckpoint(out);
      const teacher = openCheckpoint(floatTeacher);
      expected.forEach((t, s) => {
        const a = student.readBytes(`blocks.${s}.mlp.fc1.weight`);
        const b = teacher.readBytes(`blocks.${t}.mlp.fc1.weight`);
        expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
      });
      student.close();
      teacher.close();
    }
  });

  it('--exclude leaves components out and lists them', () => {
    const out = nextOut();
    const result = select({ arch: 'vit', teacher: floatTeacher, out, student: STUDENT, exclude: ['attn', 'layer_scale'] });
    const reader = openCheckpoint(out);
    expect([...reader.tensors.keys()].some((n) => n.includes('.attn.'))).toBe(false);
    expect(reader.tensors.has('blocks.0.mlp.fc1.weight')).toBe(true);
    reader.close();
    expect(result.omitted.filter((o) => o.name.includes('.attn.')).length).toBe(2 * 4);
  });

  it('the head is left out by default and kept with keepHead', () => {
    const a = nextOut();
    select({ arch: 'vit', teacher: floatTeacher, out: a, student: STUDENT });
    const b = nextOut();
    select({ arch: 'vit', teacher: floatTeacher, out: b, student: STUDENT, keepHead: true });
    const ra = openCheckpoint(a);
    const rb = openCheckpoint(b);
    expect(ra.tensors.has('head.weight')).toBe(false);
    expect(rb.tensors.get('head.weight')!.shape).toEqual([10, 24]);
    ra.close();
    rb.close();
    expect(() => select({ arch: 'vit', teacher: floatTeacher, out: nextOut(), student: { ...STUDENT, num_classes: 5 }, keepHead: true }))
      .toThrow(/label set.*10.*5/);
  });

  it('ConvNeXt selects head.norm (unlike the reference) and per-stage first-N blocks', () => {
    const teacher = tmp.file('convnext_small_teacher.safetensors');
    writeSyntheticCheckpoint(convnext.declare({ ...CONVNEXT_DEFAULTS, depths: [2, 2, 4, 2], dims: [16, 32, 64, 128], num_classes: 10 }), teacher, 1);
    const out = nextOut();
    const result = select({ arch: 'convnext', teacher, out, student: { depths: [1, 1, 2, 1], dims: [8, 16, 32, 64] }, recipe: 'reference' });
    expect(result.layerMap).toEqual({ 'stages.0.blocks': [0], 'stages.1.blocks': [0], 'stages.2.blocks': [0, 1], 'stages.3.blocks': [0] });
    const reader = openCheckpoint(out);
    expect(reader.tensors.get('head.norm.weight')!.shape).toEqual([64]);
    expect(reader.tensors.has('head.fc.weight')).toBe(false);
    reader.close();
  });

  it('ConvNeXt MLPs may change layout (Linear [out, in] <-> 1x1 conv [out, in, 1, 1]): the same numbers, reshaped', () => {
    const config = { ...CONVNEXT_DEFAULTS, depths: [2, 2], dims: [16, 32], num_classes: 10 };
    const linearTeacher = tmp.file('convnext_linear.safetensors');
    writeIndexTeacher(convnext.declare(config), linearTeacher);
    const convTeacher = tmp.file('convnext_conv_mlp.safetensors');
    writeIndexTeacher(convnext.declare({ ...config, conv_mlp: true }), convTeacher);
    const student = { depths: [1, 1], dims: [8, 16] };
    const outs = {
      linear: nextOut(), toConv: nextOut(), fromConv: nextOut(), conv: nextOut(),
    };
    select({ arch: 'convnext', teacher: linearTeacher, out: outs.linear, student });
    select({ arch: 'convnext', teacher: linearTeacher, out: outs.toConv, student: { ...student, conv_mlp: true } });
    select({ arch: 'convnext', teacher: convTeacher, out: outs.fromConv, student: { ...student, conv_mlp: false } });
    select({ arch: 'convnext', teacher: convTeacher, out: outs.conv, student });
    const readers = Object.fromEntries(Object.entries(outs).map(([k, f]) => [k, openCheckpoint(f)]));
    try {
      const names = [...readers.linear!.tensors.keys()];
      expect(names).toContain('stages.1.blocks.0.mlp.fc2.weight');
      for (const name of names) {
        const shape = readers.linear!.tensors.get(name)!.shape;
        const isFc = /mlp\.fc\d\.weight$/.test(name);
        expect(readers.toConv!.tensors.get(name)!.shape).toEqual(isFc ? [...shape, 1, 1] : shape);
        expect(readers.conv!.tensors.get(name)!.shape).toEqual(isFc ? [...shape, 1, 1] : shape);
        expect(readers.fromConv!.tensors.get(name)!.shape).toEqual(shape);
        const bytes = Buffer.from(readers.linear!.readBytes(name));
        for (const other of ['toConv', 'fromConv', 'conv']) expect(Buffer.from(readers[other]!.readBytes(name)).equals(bytes)).toBe(true);
      }
      expect(JSON.parse(readers.toConv!.metadata['wsel.student_config']!).conv_mlp).toBe(true);
    } finally {
      for (const r of Object.values(readers)) r.close();
    }
  });

  it('MLP-Mixer narrows channels and token-mixing hidden units, keeping the patch grid', () => {
    const teacher = tmp.file('mixer_teacher.safetensors');
    writeSyntheticCheckpoint(mixer.declare({ ...MIXER_DEFAULTS, img_size: 32, patch_size: 8, embed_dim: 64, num_blocks: 4, num_classes: 10 }), teacher, 1);
    const out = nextOut();
    select({ arch: 'mixer', teacher, out, student: { embed_dim: 32, num_blocks: 2 } });
    const reader = openCheckpoint(out);
    expect(reader.tensors.get('blocks.1.mlp_tokens.fc1.weight')!.shape).toEqual([16, 16]);
    expect(reader.tensors.get('blocks.1.mlp_channels.fc1.weight')!.shape).toEqual([128, 32]);
    reader.close();
    expect(() => select({ arch: 'mixer', teacher, out: nextOut(), student: { img_size: 16 } })).toThrow(/patch grid/);
  });
});

describe('dtypes, shards and records', () => {
  it('passes every float dtype through and converts with --dtype', () => {
    const decl = vit.declare(TEACHER);
    const f32 = openCheckpoint(floatTeacher);
    const bf16Teacher = tmp.file('bf16_teacher.safetensors');
    saveSafetensors(bf16Teacher, decl.tensors.map((t) => ({
      name: t.name, dtype: 'BF16' as const, shape: tensorShape(decl, t), data: convertFloat(f32.readBytes(t.name), 'F32', 'BF16'),
    })));
    f32.close();
    const kept = nextOut();
    select({ arch: 'vit', teacher: bf16Teacher, out: kept, student: STUDENT, teacherConfig: HEADS });
    const converted = nextOut();
    select({ arch: 'vit', teacher: bf16Teacher, out: converted, student: STUDENT, teacherConfig: HEADS, dtype: 'f32' });
    const a = openCheckpoint(kept);
    const b = openCheckpoint(converted);
    expect(a.tensors.get('blocks.0.mlp.fc1.weight')!.dtype).toBe('BF16');
    expect(b.tensors.get('blocks.0.mlp.fc1.weight')!.dtype).toBe('F32');
    expect(Buffer.from(convertFloat(a.readBytes('blocks.0.mlp.fc1.weight'), 'BF16', 'F32')).equals(Buffer.from(b.readBytes('blocks.0.mlp.fc1.weight')))).toBe(true);
    a.close();
    b.close();
  });

  it('sharded output reads back identical to a single file, with an index', () => {
    const single = nextOut();
    select({ arch: 'vit', teacher: floatTeacher, out: single, student: STUDENT });
    const shardedDir = makeTmpDir();
    const out = `${shardedDir.dir}/student.safetensors`;
    const result = select({ arch: 'vit', teacher: floatTeacher, out, student: STUDENT, maxShardSize: 20_000 });
    expect(result.files.length).toBeGreaterThan(2);
    expect(existsSync(`${shardedDir.dir}/student.safetensors.index.json`)).toBe(true);
    const a = openCheckpoint(single);
    const b = openCheckpoint(`${shardedDir.dir}/student.safetensors.index.json`);
    expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
    for (const name of a.tensors.keys()) expect(Buffer.from(b.readBytes(name)).equals(Buffer.from(a.readBytes(name)))).toBe(true);
    a.close();
    b.close();
    shardedDir.cleanup();
  });

  it('writes metadata (teacher metadata kept) and a record, and is byte-for-byte deterministic', () => {
    const a = nextOut();
    const b = nextOut();
    select({ arch: 'vit', teacher: indexTeacher, out: a, student: STUDENT, elements: 'random', layers: 'first', seed: 4 });
    select({ arch: 'vit', teacher: indexTeacher, out: b, student: STUDENT, elements: 'random', layers: 'first', seed: 4 });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    const reader = openCheckpoint(a);
    expect(reader.metadata.origin).toBe('unit-test');
    expect(reader.metadata.format).toBe('pt');
    expect(reader.metadata['wsel.seed']).toBe('4');
    expect(JSON.parse(reader.metadata['wsel.layer_map']!)).toEqual({ blocks: [0, 1] });
    expect(JSON.parse(reader.metadata['wsel.method']!).elements).toBe('random');
    reader.close();
    const record = JSON.parse(readFileSync(a.replace('.safetensors', '.selection.json'), 'utf8'));
    expect(record.spaces.embed.indices).toHaveLength(24);
    expect(record.tensors.find((t: { name: string }) => t.name === 'blocks.1.attn.qkv.weight').source).toBe('blocks.1.attn.qkv.weight');
  });
});

describe('generic mode', () => {
  it('selects any same-named pair from a template and equals the ViT family result', () => {
    const viaFamily = nextOut();
    select({ arch: 'vit', teacher: floatTeacher, out: viaFamily, student: STUDENT, recipe: 'reference' });
    const template = nextOut();
    const decl = vit.declare(vit.studentConfig(TEACHER, STUDENT));
    saveSafetensors(template, decl.tensors.filter((t) => t.component !== 'head').map((t) => {
      const shape = tensorShape(decl, t);
      return { name: t.name, dtype: 'F32' as const, shape, data: new Uint8Array(4 * shape.reduce((x, y) => x * y, 1)) };
    }));
    const viaGeneric = nextOut();
    select({ arch: 'generic', teacher: floatTeacher, out: viaGeneric, studentTemplate: template });
    const a = openCheckpoint(viaFamily);
    const b = openCheckpoint(viaGeneric);
    expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
    for (const name of a.tensors.keys()) expect(Buffer.from(b.readBytes(name)).equals(Buffer.from(a.readBytes(name))), name).toBe(true);
    a.close();
    b.close();
  });

  it('refuses rules that need dimension spaces', () => {
    expect(() => select({ arch: 'generic', teacher: floatTeacher, out: nextOut(), studentTemplate: floatTeacher, elements: 'random' }))
      .toThrow(/dimension spaces/);
  });
});

describe('errors name the problem and leave no output', () => {
  it('a student wider than the teacher', () => {
    const out = nextOut();
    expect(() => select({ arch: 'vit', teacher: floatTeacher, out, student: { embed_dim: 96 } })).toThrow(/embed.*96.*48|sub-shape/);
    expect(existsSync(out)).toBe(false);
  });

  it('a student tensor with no teacher source, and a rank mismatch (generic)', () => {
    const template = nextOut();
    saveSafetensors(template, [{ name: 'blocks.0.missing.weight', dtype: 'F32', shape: [2], data: new Uint8Array(8) }]);
    expect(() => select({ arch: 'generic', teacher: floatTeacher, out: nextOut(), studentTemplate: template }))
      .toThrow(/blocks\.0\.missing\.weight.*no teacher source/);
    const rank = nextOut();
    saveSafetensors(rank, [{ name: 'norm.weight', dtype: 'F32', shape: [2, 2], data: new Uint8Array(16) }]);
    expect(() => select({ arch: 'generic', teacher: floatTeacher, out: nextOut(), studentTemplate: rank }))
      .toThrow(/norm\.weight.*rank differs.*\[2, 2\].*\[48\]/);
  });

  it('an architecture that does not match the checkpoint', () => {
    expect(() => select({ arch: 'convnext', teacher: floatTeacher, out: nextOut(), student: {} }))
      .toThrow(/not a ConvNeXt checkpoint.*--arch generic/);
  });

  it('an unknown config field', () => {
    expect(() => select({ arch: 'vit', teacher: floatTeacher, out: nextOut(), student: { embed_dims: 24 } }))
      .toThrow(/unknown ViT config field "embed_dims"/);
  });

  it('a truncated teacher: clear error naming the file, nothing written', () => {
    const bytes = readFileSync(floatTeacher);
    const truncated = tmp.file('truncated.safetensors');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 1000));
    const out = nextOut();
    expect(() => select({ arch: 'vit', teacher: truncated, out, student: STUDENT })).toThrow(/truncated\.safetensors.*truncated/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('never overwrites the teacher', () => {
    expect(() => select({ arch: 'vit', teacher: floatTeacher, out: floatTeacher, student: STUDENT })).toThrow(/teacher itself/);
  });
});

describe('ViT variants', () => {
  it('register tokens, global average pooling, no qkv bias and layer scale are inferred and selected', () => {
    const config = { ...TEACHER, reg_tokens: 4, class_token: false, global_pool: 'avg' as const, qkv_bias: false, init_values: 1e-5 };
    const teacher = tmp.file('vit_variant.safetensors');
    writeSyntheticCheckpoint(vit.declare(config), teacher, 2);
    const out = nextOut();
    const result = select({ arch: 'vit', teacher, out, student: STUDENT, teacherConfig: HEADS });
    expect(result.teacherConfig).toMatchObject({ reg_tokens: 4, class_token: false, global_pool: 'avg', qkv_bias: false, img_size: 32 });
    const reader = openCheckpoint(out);
    expect(reader.tensors.get('reg_token')!.shape).toEqual([1, 4, 24]);
    expect(reader.tensors.get('pos_embed')!.shape).toEqual([1, 4 + 16, 24]);
    expect(reader.tensors.get('fc_norm.weight')!.shape).toEqual([24]);
    expect(reader.tensors.get('blocks.1.ls2.gamma')!.shape).toEqual([24]);
    expect(reader.tensors.has('blocks.0.attn.qkv.bias')).toBe(false);
    expect(reader.tensors.has('cls_token')).toBe(false);
    reader.close();
  });

  it('a different token grid is refused (position embeddings are kept for the same grid)', () => {
    expect(() => select({ arch: 'vit', teacher: floatTeacher, out: nextOut(), student: { ...STUDENT, img_size: 16 } }))
      .toThrow(/token grid.*17.*5/);
  });
});
