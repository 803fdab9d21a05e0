import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, readStateDict, saveModel } from '../../src/engine/node/serialize.js';
import { createModel } from '../../src/models/index.js';
import { makeTmpDir } from '../helpers.js';

describe('safetensors save/load', () => {
  const tmp = makeTmpDir('wsel-serialize-');
  afterAll(() => tmp.cleanup());
  const dir = tmp.dir;
  const cfg = { img_size: 8, patch_size: 4, embed_dim: 8, depth: 1, num_heads: 2, num_classes: 3 };
  it('round-trips F32 exactly with timm names', () => {
    const a = createModel('vit', { ...cfg, seed: 1 });
    const b = createModel('vit', { ...cfg, seed: 2 });
    const path = join(dir, 'vit.safetensors');
    saveModel(path, a, { metadata: { arch: 'vit' } });
    const sd = readStateDict(path);
    expect([...sd.keys()].sort()).toEqual(a.namedParameters().map(([n]) => n).sort());
    expect(sd.get('blocks.0.attn.qkv.weight')!.shape).toEqual([24, 8]);
    expect(loadModel(path, b)).toEqual({ missing: [], unexpected: [] });
    for (const [n, t] of a.namedParameters()) expect(Array.from(b.stateDict().get(n)!.data), n).toEqual(Array.from(t.data));
  });
  it('BF16 storage loads back to within bf16 rounding', () => {
    const a = createModel('vit', { ...cfg, seed: 3 });
    const path = join(dir, 'vit-bf16.safetensors');
    saveModel(path, a, { dtype: 'BF16' });
    const b = createModel('vit', { ...cfg, seed: 4 });
    loadModel(path, b);
    const w = a.stateDict().get('pos_embed')!.data;
    const v = b.stateDict().get('pos_embed')!.data;
    for (let i = 0; i < w.length; i++) expect(Math.abs(v[i]! - w[i]!)).toBeLessThanOrEqual(Math.abs(w[i]!) * 2 ** -8);
  });
  it('strict loading reports a different architecture', () => {
    const a = createModel('vit', cfg);
    const path = join(dir, 'vit2.safetensors');
    saveModel(path, a);
    const m = createModel('vit', { ...cfg, global_pool: 'avg' });
    expect(() => loadModel(path, m)).toThrow(/missing \[fc_norm.weight, fc_norm.bias\], unexpected \[norm.(weight|bias), norm.(weight|bias)\]/);
  });
});
