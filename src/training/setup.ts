// The prepare phase of a run: the data set, the model it starts from, the data pipeline, the schedule, the KD
// teacher, what is trained (a linear probe freezes all but the classifier) and the optimizer. Everything a request
// can get wrong is found here, before anything is written.
import path from 'node:path';
import type { DataLoader, Dataset } from '../data/index.js';
import { AdamW, paramGroupsWeightDecay, type Tensor } from '../engine/index.js';
import type { Model } from '../models/index.js';
import {
  evalLoader, evalSubsetLoader, loadDatasetOrThrow, prepareData, trainLoader, valLoader, type TrainData,
} from './data.js';
import { TrainingError } from './errors.js';
import { headPrefix, modelClasses, modelInput, noWeightDecayNames, type ModelSpec } from './model-config.js';
import { initialModel, loadCompleteModel, type InitialModel } from './model-setup.js';
import { OptionError, optionName, TRAIN_DEFAULTS, type ResolvedOptions, type TrainOptions } from './options.js';
import type { RunIdentity } from './run-state.js';

export interface Schedule {
  stepsPerEpoch: number;
  totalSteps: number;
  epochs: number;
  warmupSteps: number;
  lr: { baseLr: number; minLr: number; warmupIters: number; warmupStartLr: number; totalIters: number };
}

export interface Teacher {
  model: Model;
  spec: ModelSpec;
}

/** The evaluation sets: the final test set, the subset read during training, and the validation split. */
export interface EvalSets {
  test: DataLoader;
  testDuring: DataLoader;
  val: DataLoader | null;
}

export interface PreparedRun {
  opts: TrainOptions;
  o: ResolvedOptions;
  dataset: Dataset;
  dataName: string;
  start: InitialModel;
  data: TrainData;
  loader: DataLoader;
  evalSets: EvalSets;
  schedule: Schedule;
  teacher: Teacher | null;
  /** Every parameter by name, those that learn, and the optimizer over them. */
  named: [string, Tensor][];
  trainParams: Tensor[];
  optimizer: AdamW;
  /** What a resumed run must agree on. */
  identity: RunIdentity;
}

function makeSchedule(opts: TrainOptions, o: ResolvedOptions, stepsPerEpoch: number): Schedule {
  const totalSteps = opts.steps ?? (opts.epochs ?? TRAIN_DEFAULTS.epochs) * stepsPerEpoch;
  const warmupSteps = opts.warmupSteps
    ?? (opts.warmupEpochs !== undefined ? Math.round(opts.warmupEpochs * stepsPerEpoch) : Math.round(TRAIN_DEFAULTS.warmupFraction * totalSteps));
  if (!(Number.isInteger(warmupSteps) && warmupSteps >= 0 && warmupSteps <= totalSteps)) throw new TrainingError(`warm-up of ${warmupSteps} steps does not fit ${totalSteps} steps`);
  return {
    stepsPerEpoch, totalSteps, epochs: Math.ceil(totalSteps / stepsPerEpoch), warmupSteps,
    lr: { baseLr: o.lr, minLr: o.minLr, warmupIters: warmupSteps, warmupStartLr: o.minLr, totalIters: totalSteps },
  };
}

/** Knowledge distillation teacher: a complete model for the same labels and input, in inference mode. */
function loadTeacher(opts: TrainOptions, o: ResolvedOptions, dataset: Dataset, spec: ModelSpec, side: number, log: (line: string) => void): Teacher | null {
  if (!opts.kd) return null;
  const teacher = loadCompleteModel(opts.kd.teacher, opts.kd.family, opts.kd.config, { family: 'kd.family', config: 'kd.config' });
  if (modelClasses(teacher.spec) !== dataset.classes) throw new TrainingError(`KD teacher ${opts.kd.teacher} has ${modelClasses(teacher.spec)} classes, the data ${dataset.classes}`);
  const ti = modelInput(teacher.spec);
  if (ti.channels !== modelInput(spec).channels || (ti.size !== null && ti.size !== side)) {
    throw new TrainingError(`KD teacher ${opts.kd.teacher} takes ${ti.channels}x${ti.size ?? 'any'} input, the student ${modelInput(spec).channels}x${side}`);
  }
  log(`KD teacher: ${teacher.spec.family} ${JSON.stringify(teacher.spec.config)}, T=${o.kdTemperature}, alpha=${o.kdAlpha}`);
  return teacher;
}

/** Freeze all but the classifier for a linear probe; AdamW over every parameter (frozen ones get no gradient). */
function makeOptimizer(model: Model, spec: ModelSpec, o: ResolvedOptions, linearProbe: boolean): { named: [string, Tensor][]; trainParams: Tensor[]; optimizer: AdamW } {
  const named = model.namedParameters();
  const head = headPrefix(spec.family);
  if (linearProbe) {
    for (const [n, p] of named) p.requiresGrad = n.startsWith(head);
    if (!named.some(([n]) => n.startsWith(head))) throw new OptionError(`${optionName('linearProbe')} needs a classifier (num_classes > 0)`);
  }
  const noDecay = [...noWeightDecayNames(spec.family), ...named.filter(([n]) => n.endsWith('gamma')).map(([n]) => n)];
  const optimizer = new AdamW(paramGroupsWeightDecay(named, o.weightDecay, noDecay), { lr: o.lr, eps: 1e-8, weightDecay: o.weightDecay });
  return { named, trainParams: named.filter(([, p]) => p.requiresGrad).map(([, p]) => p), optimizer };
}

export function prepareRun(opts: TrainOptions, o: ResolvedOptions, log: (line: string) => void): PreparedRun {
  if (opts.data === undefined) {
    throw new OptionError(`${optionName('data')} is required${opts.resume && opts.out ? ` (${opts.out} holds no run to continue)` : ''}`);
  }
  const dataset = typeof opts.data === 'string' ? loadDatasetOrThrow(opts.data) : opts.data;
  const dataName = typeof opts.data === 'string' ? opts.data : dataset.name;
  const start = initialModel(opts, o, dataset, dataName, log);
  const { spec } = start;
  const data = prepareData(dataset, spec, {
    trainSize: opts.trainSize, valSize: opts.valSize, evalSize: opts.evalSize, seed: o.seed, augment: opts.augment ?? {}, imgSize: opts.imgSize,
  });
  const loader = trainLoader(data, o.batchSize, o.seed);
  const evalBatch = opts.evalBatchSize ?? Math.max(o.batchSize, 128);
  const evalSets: EvalSets = {
    test: evalLoader(data, evalBatch), testDuring: evalSubsetLoader(data, evalBatch, o.evalSubset, o.seed), val: valLoader(data, evalBatch),
  };
  const schedule = makeSchedule(opts, o, loader.length);
  const teacher = loadTeacher(opts, o, dataset, spec, data.side, log);
  const { named, trainParams, optimizer } = makeOptimizer(start.model, spec, o, Boolean(opts.linearProbe));
  const identity: RunIdentity = {
    family: spec.family, config: spec.config, init: o.initText, data: dataName, train_size: opts.trainSize ?? null,
    val_size: opts.valSize ?? null, eval_size: opts.evalSize ?? null, total_steps: schedule.totalSteps, batch_size: o.batchSize, lr: o.lr,
    min_lr: o.minLr, warmup_steps: schedule.warmupSteps, weight_decay: o.weightDecay, clip_grad: opts.clipGrad ?? null,
    drop_path: spec.dropPathRate, augment: { ...data.augment }, seed: o.seed, linear_probe: Boolean(opts.linearProbe),
    kd: opts.kd ? { teacher: path.basename(opts.kd.teacher), temperature: o.kdTemperature, alpha: o.kdAlpha } : null,
  };
  return { opts, o, dataset, dataName, start, data, loader, evalSets, schedule, teacher, named, trainParams, optimizer, identity };
}
