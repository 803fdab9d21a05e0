// Property: for random teacher/student pairs of every family and every consistent rule, each dimension space
// keeps one index set, read back from the student's data (an index teacher stores each element's position).
import { afterAll, describe, expect, it } from 'vitest';
import { convnext, mixer, vit } from '../../src/arch/index.js';
import { CONVNEXT_DEFAULTS } from '../../src/arch/convnext.js';
import { MIXER_DEFAULTS } from '../../src/arch/mixer.js';
import { tensorShape, type ArchDecl, type Family } from '../../src/arch/types.js';
import { VIT_DEFAULTS } from '../../src/arch/vit.js';
import { seededRandom } from '../../src/data/keyed-random.js';
import { select } from '../../src/selection/node/select.js';
import type { ArchName } from '../../src/selection/select.js';
import { makeTmpDir } from '../helpers.js';
import { keptAlongAxis, readInt32, writeIndexTeacher } from './teachers.js';

const tmp = makeTmpDir();
afterAll(() => tmp.cleanup());

const random = seededRandom(2024, 'consistency-property');
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

interface Case { arch: ArchName; family: Family<any>; teacher: Record<string, unknown>; student: Record<string, unknown> }

function vitCase(wholeHeads: boolean): Case {
  const heads = int(2, 4);
  const headDim = int(2, 5);
  const teacher = { ...VIT_DEFAULTS, img_size: 16, patch_size: 8, embed_dim: heads * headDim, num_heads: heads, depth: int(2, 4), num_classes: 3, mlp_ratio: int(1, 3) };
  const sHeads = int(1, heads);
  const sHeadDim = int(1, headDim);
  // Whole heads keep the teacher's head width; flat may narrow it.
  const student = { embed_dim: sHeads * (wholeHeads ? headDim : sHeadDim), num_heads: sHeads, depth: int(1, teacher.depth) };
  return { arch: 'vit', family: vit, teacher, student };
}

function convnextCase(): Case {
  const dims = [int(3, 6), int(4, 8)];
  const teacher = { ...CONVNEXT_DEFAULTS, depths: [int(1, 3), int(1, 3)], dims, kernel_size: 3, num_classes: 3 };
  const student = { depths: teacher.depths.map((d) => int(1, d)), dims: dims.map((d) => int(1, d)) };
  return { arch: 'convnext', family: convnext, teacher, student };
}

function mixerCase(): Case {
  const teacher = { ...MIXER_DEFAULTS, img_size: 16, patch_size: 8, embed_dim: 2 * int(2, 5), num_blocks: int(1, 3), num_classes: 3 };
  const student = { embed_dim: 2 * int(1, teacher.embed_dim / 2), num_blocks: int(1, teacher.num_blocks) };
  return { arch: 'mixer', family: mixer, teacher, student };
}

function randomScores(decl: ArchDecl): Map<string, Float64Array> {
  return new Map(Object.entries(decl.spaces).map(([name, s]) => [name, Float64Array.from({ length: s.size }, () => random())]));
}

describe('every space keeps one index set, whatever the configs', () => {
  const cases = [...Array.from({ length: 6 }, (_, n) => vitCase(n % 2 === 1)), ...Array.from({ length: 6 }, convnextCase), ...Array.from({ length: 4 }, mixerCase)];
  cases.forEach((c, n) => {
    for (const elements of ['uniform', 'first', 'random', 'activation'] as const) {
      const heads = c.arch === 'vit' && n % 2 ? 'whole' : 'flat';
      it(`${c.arch} #${n} ${JSON.stringify(c.student)} ${elements} heads ${heads}`, () => {
        const teacherDecl = c.family.declare(c.teacher);
        const teacherFile = tmp.file(`t${n}.safetensors`);
        writeIndexTeacher(teacherDecl, teacherFile);
        const out = tmp.file(`s${n}-${elements}.safetensors`);
        const result = select({
          arch: c.arch, teacher: teacherFile, out, student: c.student, elements, heads, seed: n,
          // The activation rule with arbitrary scores: whatever the scores, one index set per space.
          activation: elements === 'activation' ? { scores: randomScores(teacherDecl), source: {} } : undefined,
          teacherConfig: c.arch === 'vit' ? { num_heads: c.teacher.num_heads } : undefined,
        });
        const studentDecl = c.family.declare(result.studentConfig);
        const teacherShapes = new Map(teacherDecl.tensors.map((t) => [t.name, tensorShape(teacherDecl, t)]));
        const rename = (name: string) => name.replace(/^(blocks|stages\.\d+\.blocks)\.(\d+)\./, (_m, stack: string, i: string) => `${stack}.${result.layerMap[stack]![Number(i)]}.`);
        const bySpace = new Map<string, number[][]>();
        for (const t of studentDecl.tensors) {
          if (t.component === 'head') continue;
          const { shape, values } = readInt32(out, t.name);
          const tShape = teacherShapes.get(rename(t.name))!;
          t.axes.forEach((axis, k) => {
            const kept = keptAlongAxis(values, shape, tShape, k);
            const repeat = axis.repeat ?? 1;
            const per = kept.length / repeat;
            const teacherSize = tShape[k]! / repeat;
            for (let r = 0; r < repeat; r++) {
              if (repeat > 1 && elements === 'uniform' && heads === 'flat') continue; // reference: fused axis taken whole
              const list = bySpace.get(axis.space) ?? [];
              list.push(kept.slice(r * per, (r + 1) * per).map((i) => i - r * teacherSize));
              bySpace.set(axis.space, list);
            }
          });
        }
        for (const [space, sets] of bySpace) {
          for (const s of sets) expect(s, space).toEqual(sets[0]);
          expect(new Set(sets[0]).size, `${space} distinct`).toBe(sets[0]!.length);
        }
      });
    }
  });
});
