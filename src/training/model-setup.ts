// The model a run starts from: built from a checkpoint (its recorded family and config, the user's corrections,
// the data's label set for a selection without a classifier) or from a random initialization configured with
// what the data implies; complete models (a KD teacher, a model to evaluate) loaded for inference.
import { ConfigError } from '../arch/config-util.js';
import { openCheckpoint } from '../checkpoint/node/open.js';
import type { CheckpointReader } from '../checkpoint/types.js';
import type { Dataset } from '../data/index.js';
import type { Model, ModelFamily } from '../models/index.js';
import { loadIntoModel, MODEL_OPTIONS, modelTensorNames, specFromCheckpoint, type ModelOptionNames } from './checkpoint.js';
import { TrainingError } from './errors.js';
import { initModel } from './init.js';
import {
  buildModel, dataDefaults, defaultDropPathRate, headPrefix, modelClasses, resolveModelSpec, type ModelSpec,
} from './model-config.js';
import { OptionError, optionName, type ResolvedOptions, type TrainOptions } from './options.js';
import { Masks } from './prune.js';

/** Paper defaults: ViT drop path 0, ConvNeXt 0.1. */
export function defaultDropPath(family: ModelFamily): number {
  return defaultDropPathRate(family);
}

function withConfigErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError) throw new TrainingError(`bad model config: ${e.message}`);
    throw e;
  }
}

export interface InitialModel {
  spec: ModelSpec;
  model: Model;
  /** Tensors loaded from the checkpoint, and parameters initialized because it lacks them. */
  loaded: string[];
  initialized: string[];
  /** Weights a pruned checkpoint holds at zero. */
  masks: Masks | null;
}

/** The spec of a checkpoint the run starts from; a checkpoint without its classifier takes the data's label set. */
function specFromInit(reader: CheckpointReader, opts: TrainOptions, dataset: Dataset, dataName: string): ModelSpec {
  const hasHead = (s: ModelSpec) => modelTensorNames(reader).some((n) => n.startsWith(headPrefix(s.family)));
  const spec = withConfigErrors(() => {
    let s = specFromCheckpoint(reader, opts.family, opts.config ?? {}, defaultDropPath);
    if (opts.dropPath !== undefined) s = { ...s, dropPathRate: opts.dropPath };
    if (modelClasses(s) !== dataset.classes && (opts.resetHead || !hasHead(s)) && opts.config?.['num_classes'] === undefined) {
      s = resolveModelSpec(s.family, s.config, { num_classes: dataset.classes }, s.dropPathRate);
    }
    return s;
  });
  if (modelClasses(spec) !== dataset.classes) {
    throw new OptionError(`${reader.path}: the classifier has ${modelClasses(spec)} classes and ${dataName} has ${dataset.classes}; add ${optionName('resetHead')} to train a new one`);
  }
  return spec;
}

/** The spec of a random initialization: what the user leaves unset comes from the data (label set, channels, side). */
function specFromData(opts: TrainOptions, dataset: Dataset, dataName: string): ModelSpec {
  if (!opts.family) throw new OptionError(`${optionName('family')} is required with a random ${optionName('init')}`);
  const family = opts.family;
  const base = dataDefaults(family, dataset);
  let spec = withConfigErrors(() => resolveModelSpec(family, base, opts.config ?? {}, defaultDropPath(family)));
  if (opts.dropPath !== undefined) spec = { ...spec, dropPathRate: opts.dropPath };
  if (modelClasses(spec) !== dataset.classes) throw new TrainingError(`num_classes ${modelClasses(spec)} differs from the ${dataset.classes} classes of ${dataName}`);
  return spec;
}

export function initialModel(opts: TrainOptions, o: ResolvedOptions, dataset: Dataset, dataName: string, log: (line: string) => void): InitialModel {
  const path = o.init.path;
  if (path === null) {
    const spec = specFromData(opts, dataset, dataName);
    const model = buildModel(spec, o.seed);
    initModel(model, o.init.scheme, o.seed);
    log(`init: random (${o.init.scheme}, seed ${o.seed})`);
    return { spec, model, loaded: [], initialized: [], masks: null };
  }
  const reader = openCheckpoint(path);
  try {
    const spec = specFromInit(reader, opts, dataset, dataName);
    const model = buildModel(spec, o.seed);
    initModel(model, o.init.scheme, o.seed);
    const head = headPrefix(spec.family);
    const report = loadIntoModel(model, reader, (n) => Boolean(opts.resetHead) && n.startsWith(head));
    const masks = Masks.fromPruned(model, reader.metadata, path);
    log(`init: ${report.loaded.length} tensors from ${path}; initialized (${o.init.scheme}): ${report.missing.length ? report.missing.join(', ') : 'none'}`);
    if (masks) log(`pruned checkpoint: ${masks.names.length} masked tensors, ${masks.prunedCount} weights held at zero`);
    return { spec, model, loaded: report.loaded, initialized: report.missing, masks };
  } finally {
    reader.close();
  }
}

/**
 * A model from a checkpoint that must be complete (a KD teacher, an evaluated model), in inference mode; `options`
 * names the options that gave `family` and `config`, for messages.
 */
export function loadCompleteModel(file: string, family?: ModelFamily, config?: Record<string, unknown>,
  options: ModelOptionNames = MODEL_OPTIONS): { model: Model; spec: ModelSpec; metadata: Record<string, string> } {
  const reader = openCheckpoint(file);
  try {
    const spec = withConfigErrors(() => specFromCheckpoint(reader, family, config ?? {}, undefined, options));
    const model = buildModel(spec, 0);
    const report = loadIntoModel(model, reader, undefined, options);
    if (report.missing.length > 0) {
      throw new TrainingError(`${file}: incomplete model, missing ${report.missing.slice(0, 6).join(', ')}${report.missing.length > 6 ? `, ... (${report.missing.length})` : ''}`);
    }
    model.eval();
    return { model, spec, metadata: { ...reader.metadata } };
  } finally {
    reader.close();
  }
}
