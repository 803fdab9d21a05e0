// The Node edge of export: a checkpoint file in, an ONNX file out (atomically), with the preprocessing read off
// the data set the model was trained on. The graph itself is built by the portable onnx-export.ts.
import fs from 'node:fs';
import path from 'node:path';
import { fileSink } from '../checkpoint/node/files.js';
import { openCheckpoint } from '../checkpoint/node/open.js';
import type { ModelFamily } from '../models/index.js';
import { recordedInputSize } from '../training/checkpoint.js';
import { loadDatasetOrThrow, prepareData } from '../training/data.js';
import { modelClasses } from '../training/model-config.js';
import { loadCompleteModel } from '../training/model-setup.js';
import { ExportError } from './errors.js';
import { exportOnnx, INPUT_NAME, OUTPUT_NAME } from './onnx-export.js';
import { OPSET, type WeightDType } from './onnx-graph.js';
import { preprocessingOf, type Preprocessing } from './preprocessing.js';

export interface ExportRequest {
  checkpoint: string;
  out: string;
  dtype?: WeightDType;
  /** The data the model takes; default: the checkpoint's `wsel.data`. */
  data?: string | undefined;
  /** ConvNeXt input side; default: the recorded `wsel.input_size`. */
  imgSize?: number | undefined;
  family?: ModelFamily | undefined;
  config?: Record<string, unknown> | undefined;
}

export interface ExportResult {
  out: string;
  bytes: number;
  format: 'onnx';
  opset: number;
  dtype: WeightDType;
  family: ModelFamily;
  parameters: number;
  input: { name: string; shape: (string | number)[] };
  output: { name: string; shape: (string | number)[] };
  preprocessing: Preprocessing;
  classNames: string[];
}

function recordedData(checkpoint: string): string | undefined {
  const reader = openCheckpoint(checkpoint);
  try {
    return reader.metadata['wsel.data'];
  } finally {
    reader.close();
  }
}

/** A data set's name as recorded in the file: the built-in name, or a folder's last component (no local paths). */
function dataLabel(data: string): string {
  return data === 'mnist' || data === 'fashion-mnist' ? data : path.basename(path.resolve(data));
}

function writeAtomically(file: string, bytes: Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sink = fileSink(file);
  try {
    sink.write(bytes);
    sink.finish();
    sink.publish();
  } catch (e) {
    sink.abort();
    throw e;
  }
}

export function exportCheckpoint(req: ExportRequest): ExportResult {
  if (path.resolve(req.out) === path.resolve(req.checkpoint)) throw new ExportError(`${req.out}: the output would overwrite the checkpoint`);
  const data = req.data ?? recordedData(req.checkpoint);
  if (data === undefined) {
    throw new ExportError(`${req.checkpoint}: no wsel.data in its metadata; say which data the model takes with --data (its normalization and class names go into the ONNX file)`);
  }
  const { model, spec } = loadCompleteModel(req.checkpoint, req.family, req.config);
  const dataset = loadDatasetOrThrow(data);
  if (modelClasses(spec) !== dataset.classes) {
    throw new ExportError(`${req.checkpoint}: the classifier has ${modelClasses(spec)} classes and ${data} has ${dataset.classes}; give the data it was trained on with --data`);
  }
  const prepared = prepareData(dataset, spec, { seed: 0, augment: {}, imgSize: req.imgSize ?? recordedInputSize(req.checkpoint) });
  const preprocessing = preprocessingOf(dataset, prepared.eval, dataLabel(data));
  const dtype = req.dtype ?? 'f32';
  const result = exportOnnx(spec.family, model, { dtype, preprocessing, classNames: dataset.classNames, config: spec.config });
  writeAtomically(req.out, result.bytes);
  return {
    out: req.out, bytes: result.bytes.length, format: 'onnx', opset: OPSET, dtype, family: spec.family,
    parameters: model.numParameters(),
    input: { name: INPUT_NAME, shape: result.inputShape }, output: { name: OUTPUT_NAME, shape: result.outputShape },
    preprocessing, classNames: [...dataset.classNames],
  };
}
