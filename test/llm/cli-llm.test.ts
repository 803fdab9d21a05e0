// `wsel select` and `wsel inspect` on Hugging Face model folders, as users run them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llama } from '../../src/arch/index.js';
import { writeSyntheticHfModel } from '../../src/arch/hf-synthetic.js';
import { makeTmpDir, wsel } from '../helpers.js';
import { llamaJson } from './helpers.js';

const tmp = makeTmpDir('wsel-llm-cli-');
afterAll(() => tmp.cleanup());

let teacher = '';
beforeAll(() => {
  teacher = tmp.file('tiny-llama');
  writeSyntheticHfModel(teacher, llama, llamaJson(), { maxShardSize: 60_000 });
});

describe('wsel with Hugging Face folders', () => {
  it('select detects the family from config.json and writes a model folder', () => {
    const out = tmp.file('student');
    const r = wsel('select', '--teacher', teacher, '--student', '{"hidden_size":32,"num_hidden_layers":2}', '--out', out, '--max-shard-size', '30KB');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/model\.safetensors\.index\.json/);
    expect(r.stdout).toMatch(/model\.layers: teacher layers 0, 1/);
    const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 4 });
    const record = JSON.parse(readFileSync(path.join(out, 'wsel_selection.json'), 'utf8'));
    expect(record.arch).toBe('llama');
    expect(record.options.heads).toBe('whole');
  });

  it('inspect reports family, config, parameters, shards and companion files', () => {
    const r = wsel('inspect', teacher, '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.architecture).toBe('llama');
    expect(report.config.num_key_value_heads).toBe(4);
    expect(report.hf.model_type).toBe('llama');
    expect(report.hf.config.hidden_size).toBe(64);
    expect(report.hf.missing).toEqual([]);
    expect(report.hf.companion_files).toContain('tokenizer.json');
    expect(report.files.length).toBeGreaterThan(2);
    expect(report.parameters).toBeGreaterThan(0);
    const text = wsel('inspect', teacher);
    expect(text.stdout).toMatch(/architecture: llama/);
    expect(text.stdout).toMatch(/model_type llama/);
  });

  it('explains an unsupported model_type', () => {
    const r = wsel('select', '--arch', 'gpt2', '--teacher', teacher, '--student', '{}', '--out', tmp.file('x'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model_type "llama".*--arch llama/);
  });
});
