// The student computes what the teacher computes for the heads it kept: a Llama-style forward pass written in
// PyTorch from config.json (llama_reference.py) runs teacher and student on the same layer inputs.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llama } from '../../src/arch/index.js';
import { writeSyntheticHfModel } from '../../src/arch/hf-synthetic.js';
import { select, type SelectRequest } from '../../src/selection/node/select.js';
import { hasTorch, makeTmpDir, TORCH_PYTHON } from '../helpers.js';
import { llamaJson } from './helpers.js';

const tmp = makeTmpDir('wsel-llm-ref-');
afterAll(() => tmp.cleanup());
const SCRIPT = path.join(path.dirname(new URL(import.meta.url).pathname), 'llama_reference.py');

function reference(mode: 'heads' | 'logits', teacher: string, student: string) {
  const r = spawnSync(TORCH_PYTHON, [SCRIPT, mode, '--teacher', teacher, '--student', student], { encoding: 'utf8' });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  return { code: r.status, summary: last.startsWith('{') ? JSON.parse(last) : null, stderr: r.stderr, stdout: r.stdout };
}

let n = 0;
function student(teacher: string, request: Partial<SelectRequest>): string {
  const out = tmp.file(`student${n++}`);
  select({ arch: 'hf', teacher, out, student: {}, ...request });
  return out;
}

describe.skipIf(!hasTorch())('PyTorch reference forward pass (Llama-style, GQA, rotary)', () => {
  let llamaTeacher = '';
  let qwenTeacher = '';
  beforeAll(() => {
    llamaTeacher = tmp.file('llama');
    writeSyntheticHfModel(llamaTeacher, llama, llamaJson(), { seed: 3, scale: 0.2, maxShardSize: 50_000 });
    qwenTeacher = tmp.file('qwen3');
    writeSyntheticHfModel(qwenTeacher, llama, llamaJson({ model_type: 'qwen3', num_key_value_heads: 2, attention_bias: true }), { seed: 4, scale: 0.2 });
  });

  const cases: [string, () => string, Partial<SelectRequest>][] = [
    ['half the kv groups, all their query heads', () => llamaTeacher, { student: { num_attention_heads: 4, num_key_value_heads: 2 } }],
    ['every kv group, one query head each', () => llamaTeacher, { student: { num_attention_heads: 4 } }],
    ['random groups and heads', () => llamaTeacher, { student: { num_attention_heads: 2, num_key_value_heads: 2 }, elements: 'random', seed: 9 }],
    ['Qwen3 (q_norm/k_norm, biases): 2 of 4 query heads per group', () => qwenTeacher, { student: { num_attention_heads: 4 } }],
  ];
  for (const [name, teacher, request] of cases) {
    it(`kept heads compute the teacher's attention: ${name}`, () => {
      const s = student(teacher(), request);
      const r = reference('heads', teacher(), s);
      expect(r.stderr).toBe('');
      expect(r.summary?.ok).toBe(true);
      expect(r.summary.kept_heads).toHaveLength(4);
    });
  }

  it('the check notices heads broken by flat selection (negative control)', () => {
    const s = student(llamaTeacher, { student: { num_attention_heads: 4, num_key_value_heads: 2 }, heads: 'flat' });
    const r = reference('heads', llamaTeacher, s);
    expect(r.code).toBe(1);
  });

  it('identity selection gives the same logits', () => {
    const s = student(llamaTeacher, { student: {} });
    const r = reference('logits', llamaTeacher, s);
    expect(r.summary?.ok).toBe(true);
    expect(r.summary.max_abs_diff_logits).toBe(0);
  });
});
