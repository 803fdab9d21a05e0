// ONNX's own checker (onnx.checker.check_model with full shape inference, Debian's python3-onnx) accepts every
// exported family and layout, in f32 and f16, and reads opset 17, a dynamic batch axis and the metadata back.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportOnnx, preprocessingOf } from '../../src/export/index.js';
import { prepareData } from '../../src/training/data.js';
import { makeTmpDir } from '../helpers.js';
import { available, TORCH_PYTHON } from '../requirements.js';
import { mnistData, randomizeParameters } from './helpers.js';
import { buildVariant, VARIANTS } from './variants.js';

const tmp = makeTmpDir('wsel-onnx-check-');
afterAll(() => tmp.cleanup());

describe.skipIf(!available('onnx'))('onnx.checker accepts the exported files', () => {
  it('every family and layout, f32 and f16', () => {
    const data = mnistData();
    const files: string[] = [];
    VARIANTS.forEach((v, i) => {
      const { spec, model } = buildVariant(v);
      randomizeParameters(model, i);
      const prepared = prepareData(data, spec, { seed: 0, augment: {}, ...(v.imgSize === undefined ? {} : { imgSize: v.imgSize }) });
      for (const dtype of ['f32', 'f16'] as const) {
        const file = tmp.file(`variant-${i}-${dtype}.onnx`);
        const { bytes } = exportOnnx(v.family, model, {
          dtype, preprocessing: preprocessingOf(data, prepared.eval, 'mnist'), classNames: data.classNames, config: spec.config,
        });
        writeFileSync(file, bytes);
        files.push(file);
      }
    });
    const script = path.join(import.meta.dirname, 'check_onnx.py');
    const r = spawnSync(TORCH_PYTHON, [script, ...files], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.status, r.stderr).toBe(0);
    const reports = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as {
      file: string; ir_version: number; opset: [string, number][]; inputs: [string, (string | number)[]][];
      outputs: [string, (string | number)[]][]; metadata: Record<string, string>;
    });
    expect(reports).toHaveLength(files.length);
    for (const [k, rep] of reports.entries()) {
      const v = VARIANTS[Math.floor(k / 2)]!;
      const { spec } = buildVariant(v);
      expect(rep.ir_version).toBe(8);
      expect(rep.opset).toEqual([['', 17]]);
      expect(rep.inputs).toHaveLength(1);
      expect(rep.inputs[0]![0]).toBe('input');
      expect(rep.inputs[0]![1][0]).toBe('batch');
      expect(rep.inputs[0]![1][1]).toBe(spec.config['in_chans']);
      expect(rep.outputs).toEqual([['logits', ['batch', 10]]]);
      expect(JSON.parse(rep.metadata['class_names']!)).toEqual(data.classNames);
      expect(JSON.parse(rep.metadata['preprocessing']!).data).toBe('mnist');
      expect(rep.metadata['wsel.arch']).toBe(v.family);
    }
    console.log(`[onnx checker] ${files.length} files (${VARIANTS.length} layouts x f32/f16) pass onnx.checker.check_model(full_check=True)`);
  });
});
