// Model checkpoints for training: read a model's family and config from what wsel recorded (or from the tensor
// shapes), load tensors into a model with clear errors, and write models and resumable training state atomically.
import { ConfigError } from '../arch/config-util.js';
import { FAMILIES } from '../arch/index.js';
import { convertFloat, encodeFloat32, isFloating } from '../checkpoint/dtype.js';
import { openCheckpoint } from '../checkpoint/node/open.js';
import { saveSafetensors } from '../checkpoint/node/write.js';
import type { TensorData } from '../checkpoint/index.js';
import type { CheckpointReader } from '../checkpoint/types.js';
import type { Module, Tensor } from '../engine/index.js';
import type { ModelFamily } from '../models/index.js';
import { VERSION } from '../version.js';
import { TrainingError } from './errors.js';
import { isModelFamily, MODEL_FAMILIES, resolveModelSpec, type ModelSpec } from './model-config.js';
import { recordedConfig } from '../arch/recorded-config.js';
import { OptionError, optionName } from './options.js';
import { readInputSize } from './recorded-input.js';

/** The options that name a checkpoint's family and config corrections, for messages (a KD teacher has its own). */
export interface ModelOptionNames {
  family: string;
  config: string;
}
export const MODEL_OPTIONS: ModelOptionNames = { family: 'family', config: 'config' };

/** Tensors of a training-state file that are not model parameters. */
export const OPTIMIZER_PREFIX = 'optimizer.';
export const TRAIN_STATE_KEY = 'wsel.train_state';

export function shapesOf(reader: CheckpointReader): Map<string, readonly number[]> {
  return new Map([...reader.tensors.values()].map((t) => [t.name, t.shape]));
}

/** The model tensors of a checkpoint (a training-state file also holds optimizer moments). */
export function modelTensorNames(reader: CheckpointReader): string[] {
  const isState = TRAIN_STATE_KEY in reader.metadata;
  return [...reader.tensors.keys()].filter((n) => !(isState && n.startsWith(OPTIMIZER_PREFIX)));
}

/**
 * The model a checkpoint holds: family from `familyHint`, else `wsel.arch`, else recognised from tensor names;
 * config from wsel's metadata, else inferred from shapes (a timm checkpoint); `overrides` on top.
 */
export function specFromCheckpoint(reader: CheckpointReader, familyHint?: ModelFamily, overrides: Record<string, unknown> = {},
  dropPathDefault?: (f: ModelFamily) => number, options: ModelOptionNames = MODEL_OPTIONS): ModelSpec {
  const shapes = new Map([...shapesOf(reader)].filter(([n]) => modelTensorNames(reader).includes(n)));
  let family = familyHint;
  const recordedArch = reader.metadata['wsel.arch'];
  if (family !== undefined && recordedArch !== undefined && recordedArch !== family && isModelFamily(recordedArch)) {
    const names: Record<ModelFamily, string> = { vit: 'ViT', convnext: 'ConvNeXt', mixer: 'MLP-Mixer' };
    throw new OptionError(`${reader.path}: holds a ${names[recordedArch]} (its wsel.arch metadata), not the ${names[family]} ${optionName(options.family)} ${family} asks for; drop ${optionName(options.family)} (the family comes from the file)`);
  }
  if (family === undefined && recordedArch !== undefined) {
    if (!isModelFamily(recordedArch)) throw new TrainingError(`${reader.path}: its wsel.arch is "${recordedArch}", which the trainer cannot build (known: ${MODEL_FAMILIES.join(', ')})`);
    family = recordedArch;
  }
  if (family === undefined) {
    family = MODEL_FAMILIES.find((f) => {
      try { FAMILIES[f]!.inferConfig(shapes); return true; } catch { return false; }
    });
    if (family === undefined) throw new OptionError(`${reader.path}: not a ViT, ConvNeXt or MLP-Mixer checkpoint (give ${optionName(options.family)})`);
  }
  let base = recordedConfig(reader.metadata);
  if (base === null) {
    try {
      base = FAMILIES[family]!.inferConfig(shapes) as Record<string, unknown>;
    } catch (e) {
      throw new TrainingError(`${reader.path}: cannot read a ${family} config from its tensors: ${(e as Error).message}`);
    }
  }
  return resolveModelSpec(family, base, overrides, dropPathDefault ? dropPathDefault(family) : 0);
}

/** Read a floating tensor as float32 (F16/BF16/F64/F8 converted, round to nearest even). */
export function readFloat32(reader: CheckpointReader, name: string): Float32Array {
  const info = reader.tensors.get(name);
  if (!info) throw new TrainingError(`${reader.path}: no tensor ${name}`);
  if (!isFloating(info.dtype)) throw new TrainingError(`${reader.path}: tensor ${name} has dtype ${info.dtype}; model weights must be floating point`);
  const bytes = reader.readBytes(name);
  const f32 = info.dtype === 'F32' ? bytes.slice() : convertFloat(bytes, info.dtype, 'F32');
  return new Float32Array(f32.buffer, f32.byteOffset, f32.byteLength / 4);
}

export interface LoadReport {
  loaded: string[];
  /** Model parameters the checkpoint does not have (left at their initialization). */
  missing: string[];
}

/**
 * Copy a checkpoint's tensors into `model` by name. Checks everything before writing anything: a tensor the
 * model does not have, or one of another shape, is an error naming it (with both shapes); `skip` names
 * checkpoint tensors to leave out (e.g. a classifier for another label set).
 */
export function loadIntoModel(model: Module, reader: CheckpointReader, skip: (name: string) => boolean = () => false,
  options: ModelOptionNames = MODEL_OPTIONS): LoadReport {
  const params = new Map(model.namedParameters());
  const names = modelTensorNames(reader).filter((n) => !skip(n));
  const unexpected = names.filter((n) => !params.has(n));
  if (unexpected.length > 0) {
    const shown = unexpected.slice(0, 8).join(', ') + (unexpected.length > 8 ? `, ... (${unexpected.length} in all)` : '');
    throw new OptionError(`${reader.path}: tensors the model does not have: ${shown} (wrong ${optionName(options.family)} or ${optionName(options.config)}?)`);
  }
  const mismatched: string[] = [];
  for (const n of names) {
    const want = params.get(n)!.shape;
    const got = reader.tensors.get(n)!.shape;
    if (!sameValuesLayout(want, got)) mismatched.push(`${n} is (${got.join(', ')}) in the checkpoint, (${want.join(', ')}) in the model`);
  }
  if (mismatched.length > 0) {
    throw new TrainingError(`${reader.path}: shape mismatch: ${mismatched.slice(0, 5).join('; ')}${mismatched.length > 5 ? `; ... (${mismatched.length} in all)` : ''}`);
  }
  const values = names.map((n) => [n, readFloat32(reader, n)] as const);
  for (const [n, v] of values) params.get(n)!.data.set(v);
  const present = new Set(names);
  return { loaded: names, missing: [...params.keys()].filter((n) => !present.has(n)) };
}

/**
 * Shapes that hold the same numbers in the same order: equal, or equal but for trailing axes of size 1 (a
 * ConvNeXt MLP weight as a Linear [out, in] or as a 1x1 conv [out, in, 1, 1], timm's conv_mlp).
 */
function sameValuesLayout(a: readonly number[], b: readonly number[]): boolean {
  const common = Math.min(a.length, b.length);
  if (common === 0 && a.length !== b.length) return false;
  for (let i = 0; i < common; i++) if (a[i] !== b[i]) return false;
  return [...a.slice(common), ...b.slice(common)].every((n) => n === 1);
}

/** Open a checkpoint, turning a missing/malformed file into a clear error. */
export function openModelCheckpoint(path: string): CheckpointReader {
  return openCheckpoint(path);
}

export type SaveDType = 'F32' | 'F16' | 'BF16';

function tensorBytes(name: string, t: Tensor | { shape: readonly number[]; data: Float32Array }, dtype: SaveDType): TensorData {
  return { name, dtype, shape: [...t.shape], data: encodeFloat32(dtype, t.data) };
}

/** Metadata every model file written by the trainer carries (what `wsel select`, `train --init` and `eval` read back). */
export function modelMetadata(spec: ModelSpec, extra: Record<string, string> = {}): Record<string, string> {
  return {
    format: 'pt',
    'wsel.version': VERSION,
    'wsel.arch': spec.family,
    'wsel.config': JSON.stringify(spec.config),
    ...extra,
  };
}

/** The input side a model was trained at (`wsel.input_size`), so evaluation sees images as training did. */
export function recordedInputSize(path: string): number | undefined {
  const reader = openCheckpoint(path);
  try {
    return readInputSize(reader.metadata);
  } finally {
    reader.close();
  }
}

/** Write a model's parameters (atomically: temp file + rename), plus optional extra tensors. */
export function saveModel(path: string, model: Module, metadata: Record<string, string>, opts: {
  dtype?: SaveDType;
  extra?: readonly { name: string; shape: readonly number[]; data: Float32Array }[];
} = {}): void {
  const dtype = opts.dtype ?? 'F32';
  const tensors = model.namedParameters().map(([n, p]) => tensorBytes(n, p, dtype));
  for (const e of opts.extra ?? []) tensors.push(tensorBytes(e.name, e, 'F32'));
  saveSafetensors(path, tensors, metadata);
}

export function configErrorToTraining(e: unknown): never {
  if (e instanceof ConfigError) throw new TrainingError(`bad model config: ${e.message}`);
  throw e;
}
