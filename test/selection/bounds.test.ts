// Whatever a file declares (layer counts in config.json or in tensor names, nesting in JSON, the number of
// entries in a header), wsel's work follows what the files hold: such input fails at once with one line naming
// the file and the field, or is handled in memory proportional to the file.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSyntheticHfModel } from '../../src/arch/hf-synthetic.js';
import { bert, gpt2, llama, vit } from '../../src/arch/index.js';
import { writeSyntheticCheckpoint } from '../../src/arch/synthetic.js';
import { VIT_DEFAULTS } from '../../src/arch/vit.js';
import { openCheckpoint, saveSafetensors } from '../../src/checkpoint/node/index.js';
import { select } from '../../src/selection/node/select.js';
import { inspectCheckpoint } from '../../src/selection/node/inspect.js';
import { runWsel } from '../fuzz/run-wsel.js';
import { llamaJson } from '../llm/helpers.js';
import { makeTmpDir } from '../helpers.js';

const tmp = makeTmpDir('wsel-bounds-');
afterAll(() => tmp.cleanup());

const GPT2 = { model_type: 'gpt2', vocab_size: 80, n_positions: 40, n_embd: 48, n_layer: 3, n_head: 4 };
const BERT = { model_type: 'bert', vocab_size: 80, max_position_embeddings: 40, hidden_size: 48, num_hidden_layers: 3, num_attention_heads: 4, intermediate_size: 96 };
const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

let n = 0;
/** A model folder whose config.json is then edited. */
function folder(family: typeof llama | typeof gpt2 | typeof bert, json: Record<string, unknown>, edit: Record<string, unknown> = {}): string {
  const dir = tmp.file(`hf${n++}`);
  writeSyntheticHfModel(dir, family, json, { seed: 1 });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...json, ...edit }));
  return dir;
}

describe('layer counts follow the checkpoint', () => {
  const cases = [
    ['llama', llama, llamaJson(), 'num_hidden_layers', 'model.layers'],
    ['gpt2', gpt2, GPT2, 'n_layer', 'transformer.h'],
    ['bert', bert, BERT, 'num_hidden_layers', 'bert.encoder.layer'],
  ] as const;
  for (const [name, family, json, field, stack] of cases) {
    it(`${name}: config.json declaring a billion layers fails at once, naming the folder and the field`, async () => {
      const dir = folder(family, json, { [field]: 1e9 });
      expect(() => select({ arch: 'auto', teacher: dir, out: tmp.file(`out${n++}`), student: {} }))
        .toThrow(`${dir}: config.json declares ${field} 1000000000, but the checkpoint has "${stack}.N." tensors for only ${json[field as keyof typeof json]} layer(s)`);
      const report = await inspectCheckpoint(dir);
      expect(report.hf!.problem).toMatch(new RegExp(`declares ${field} 1000000000`));
    });
  }

  it('a declared layer without tensors is named', () => {
    const dir = folder(llama, llamaJson({ num_hidden_layers: 4 }));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(llamaJson({ num_hidden_layers: 3 })));
    expect(select({ arch: 'auto', teacher: dir, out: tmp.file(`out${n++}`), student: {} }).tensors).toBeGreaterThan(0);
    // Rename layer 1 away: 4 layers declared, layers 0, 2, 3 and 7 present.
    const reader = openCheckpoint(dir);
    const tensors = [...reader.tensors.values()].map((t) => ({
      name: t.name.replace('layers.1.', 'layers.7.'), dtype: t.dtype, shape: t.shape, data: reader.readBytes(t.name),
    }));
    reader.close();
    const broken = tmp.file(`broken${n++}`);
    fs.mkdirSync(broken);
    fs.writeFileSync(path.join(broken, 'config.json'), JSON.stringify(llamaJson({ num_hidden_layers: 4 })));
    saveSafetensors(path.join(broken, 'model.safetensors'), tensors);
    expect(() => select({ arch: 'auto', teacher: broken, out: tmp.file(`out${n++}`), student: {} }))
      .toThrow(`${broken}: config.json declares num_hidden_layers 4, but the checkpoint has no "model.layers.N." tensors for layer 1`);
  });

  it('a student with more layers than the teacher has tensors fails before it is declared', () => {
    const dir = folder(llama, llamaJson());
    expect(() => select({ arch: 'auto', teacher: dir, out: tmp.file(`out${n++}`), student: { num_hidden_layers: 1e9 } }))
      .toThrow(/a student of 1000000000 layers cannot be selected from a teacher of 4 layers \(\d+ tensors\)/);
  });

  it('a vision checkpoint whose tensor names claim a layer far beyond its tensors', () => {
    const teacher = tmp.file('bigindex.safetensors');
    saveSafetensors(teacher, [
      { name: 'blocks.1000000000.norm1.weight', dtype: 'F32', shape: [1], data: new Uint8Array(4) },
      { name: 'patch_embed.proj.weight', dtype: 'F32', shape: [1, 1, 1, 1], data: new Uint8Array(4) },
    ]);
    expect(() => select({ arch: 'vit', teacher, out: tmp.file('o.safetensors'), student: {} }))
      .toThrow(`${teacher}: tensor "blocks.1000000000.norm1.weight" claims layer 1000000000, but the checkpoint holds only 2 tensors`);
  });
});

describe('deeply nested JSON is one line naming the file and the field', () => {
  it('in a checkpoint\'s wsel.config, a sharded index, config.json', () => {
    const vitT = tmp.file('deepmeta.safetensors');
    const cfg = { ...VIT_DEFAULTS, img_size: 32, patch_size: 8, embed_dim: 64, num_heads: 2, depth: 2, num_classes: 10 };
    writeSyntheticCheckpoint(vit.declare(cfg), vitT, 1, { 'wsel.config': `{"embed_dim":${nested(100_000)}}` });
    expect(() => select({ arch: 'vit', teacher: vitT, out: tmp.file('o1.safetensors'), student: {} }))
      .toThrow(`${vitT}: metadata wsel.config field "embed_dim" nests deeper than 64 levels`);

    const dir = folder(llama, llamaJson());
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), `{"metadata":{"x":${nested(100_000)}},"weight_map":{}}`);
    expect(() => openCheckpoint(dir)).toThrow(`${path.join(dir, 'model.safetensors.index.json')}: index: field "metadata" nests deeper than 64 levels`);
    fs.rmSync(path.join(dir, 'model.safetensors.index.json'));
    fs.writeFileSync(path.join(dir, 'config.json'), `{"model_type":"llama","rope_scaling":${nested(100_000)}}`);
    expect(() => select({ arch: 'auto', teacher: dir, out: tmp.file(`out${n++}`), student: {} }))
      .toThrow(`${path.join(dir, 'config.json')}: field "rope_scaling" nests deeper than 64 levels`);
    fs.truncateSync(path.join(dir, 'config.json'), 17 << 20);
    expect(() => select({ arch: 'auto', teacher: dir, out: tmp.file(`out${n++}`), student: {} }))
      .toThrow(`${path.join(dir, 'config.json')}: 17825792 bytes is too large for a config.json (limit 16777216)`);
  });

  it('in --student (a file) and --layers: usage errors, exit 2', async () => {
    const teacher = tmp.file('t.safetensors');
    writeSyntheticCheckpoint(vit.declare({ ...VIT_DEFAULTS, img_size: 32, patch_size: 8, embed_dim: 64, num_heads: 2, depth: 2, num_classes: 10 }), teacher, 1);
    const student = tmp.file('student.json');
    fs.writeFileSync(student, `{"embed_dim":${nested(100_000)}}`);
    const a = await runWsel(['select', '--arch', 'vit', '--teacher', teacher, '--student', student, '--out', tmp.file('o2.safetensors')]);
    expect([a.code, a.stderr]).toEqual([2, `wsel: --student ${student}: field "embed_dim" nests deeper than 64 levels\n`]);
    const b = await runWsel(['select', '--arch', 'vit', '--teacher', teacher, '--student', '{}', '--layers', nested(1000), '--out', tmp.file('o3.safetensors')]);
    expect([b.code, b.stderr]).toEqual([2, 'wsel: --layers: item 0 nests deeper than 64 levels\n']);
  });
});

describe('a header listing 300,000 tensors', () => {
  it('inspect lists it in memory proportional to the header, without a stack overflow', async () => {
    const entries: string[] = [];
    for (let i = 0; i < 300_000; i++) entries.push(`"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
    const json = Buffer.from(`{${entries.join(',')}}`);
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    const file = tmp.file('many.safetensors');
    fs.writeFileSync(file, Buffer.concat([length, json]));
    const run = await runWsel(['inspect', file, '--limit', '3'], { timeoutMs: 120_000 });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/tensors: 300000, parameters: 0/);
    // The header is 17 MB; parsed whole with JSON.parse and copied three times it took 20 times that.
    expect(run.maxRssMiB!).toBeLessThan(400);
  });
});
