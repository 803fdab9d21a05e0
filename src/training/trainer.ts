// The training loop. Everything random or scheduled is a function of (seed, step): the batch (epoch and
// index from the step, the loader's seeded order and augmentation), the learning rate, stochastic depth. With
// the AdamW moments and step saved in DIR/last.safetensors, a resumed run continues exactly where the
// interrupted one stopped and ends with the same bits as a run that was never interrupted.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../arch/config-util.js';
import type { CheckpointReader } from '../checkpoint/types.js';
import { openCheckpoint } from '../checkpoint/node/open.js';
import { Rng as DataRng, type Batch, type Dataset } from '../data/index.js';
import {
  AdamW, add, backward, DropPath, clipGradNorm, cosineLr, crossEntropy, distillationKL, mulScalar, noGrad, paramGroupsWeightDecay,
  tensor, tidy, type Tensor,
} from '../engine/index.js';
import type { Model, ModelFamily } from '../models/index.js';
import { VERSION } from '../version.js';
import {
  loadIntoModel, modelMetadata, modelTensorNames, OPTIMIZER_PREFIX, readFloat32, saveModel, specFromCheckpoint,
  TRAIN_STATE_KEY, type SaveDType,
} from './checkpoint.js';
import { evalLoader, loadDatasetOrThrow, prepareData, trainLoader, valLoader, type AugmentOptions, type TrainData } from './data.js';
import { TrainingError } from './errors.js';
import { evaluate, type EvalResult } from './evaluate.js';
import { initModel, INIT_SCHEMES, type InitScheme } from './init.js';
import { MetricsLog, writeJsonAtomic, type EpochRecord } from './metrics.js';
import {
  buildModel, dataDefaults, defaultDropPathRate, headPrefix, modelClasses, modelInput, noWeightDecayNames, resolveModelSpec,
  type ModelSpec,
} from './model-config.js';
import { countNonZero, Masks } from './prune.js';

/** Paper defaults: ViT drop path 0, ConvNeXt 0.1. */
export function defaultDropPath(family: ModelFamily): number {
  return defaultDropPathRate(family);
}

export interface KdOptions {
  /** Teacher checkpoint, trained on the target task. */
  teacher: string;
  /** Teacher config overrides; by default its family and config come from the checkpoint's metadata. */
  config?: Record<string, unknown>;
  family?: ModelFamily;
  /** Softmax temperature (default 1). */
  temperature?: number;
  /** Weight of the distillation term; the hard-label loss gets 1 - alpha (default 0.5). */
  alpha?: number;
}

export interface TrainOptions {
  /** Model family; taken from the checkpoint when `init` is a file. */
  family?: ModelFamily;
  /** Config overrides (timm names); with a checkpoint, on top of its recorded config. */
  config?: Record<string, unknown>;
  /** 'random:timm' (default), 'random:xavier', 'random:kaiming', or a checkpoint path. */
  init?: string;
  /** Leave the checkpoint's classifier out (re-initialized), e.g. for a new label set. */
  resetHead?: boolean;
  data: string | Dataset;
  trainSize?: number;
  /** Hold out this many training images (class-balanced, seeded, disjoint from the train subset) as a validation
   *  split: "best" is chosen on it. Without it nothing is chosen (the test split never chooses). */
  valSize?: number;
  evalSize?: number;
  /** ConvNeXt input side (other families take their img_size). */
  imgSize?: number;
  epochs?: number;
  /** Total optimizer steps (instead of epochs). */
  steps?: number;
  batchSize?: number;
  evalBatchSize?: number;
  lr?: number;
  minLr?: number;
  warmupSteps?: number;
  warmupEpochs?: number;
  weightDecay?: number;
  clipGrad?: number;
  dropPath?: number;
  augment?: AugmentOptions;
  kd?: KdOptions;
  linearProbe?: boolean;
  seed?: number;
  /** Output folder (metrics.jsonl, summary.json, last/best/final.safetensors); none: nothing is written. */
  out?: string;
  resume?: boolean;
  /** Evaluate every this many epochs (0: only at the end). Default 1. */
  evalEvery?: number;
  /** Log a step record every this many steps. Default 50. */
  logEvery?: number;
  /** Also save DIR/last every this many steps (default: each epoch only). */
  saveEvery?: number;
  saveDtype?: SaveDType;
  /** Stop (as if interrupted) once this many steps are done in total; DIR/last is saved. */
  stopAfterSteps?: number;
  /** Checked after every step: true stops the run, saving DIR/last (Ctrl-C). */
  shouldStop?: () => boolean;
  onStep?: (p: StepProgress) => void;
  onEpoch?: (e: EpochRecord) => void;
  onEvalBatch?: (done: number, total: number) => void;
  /** Messages for the user (what was loaded, initialized, resumed). */
  log?: (line: string) => void;
}

export interface StepProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  epochs: number;
  loss: number;
  trainAcc: number;
  imagesPerSecond: number;
  lr: number;
}

export interface TrainSummary {
  wsel_version: string;
  family: ModelFamily;
  config: Record<string, unknown>;
  parameters: number;
  trainable_parameters: number;
  init: string;
  loaded_tensors: number;
  initialized_tensors: string[];
  data: string;
  train_size: number;
  /** Images of the validation split (null: none). */
  val_size: number | null;
  eval_size: number;
  input: { channels: number; size: number };
  augment: Record<string, unknown>;
  epochs: number;
  steps: number;
  steps_per_epoch: number;
  batch_size: number;
  lr: number;
  min_lr: number;
  warmup_steps: number;
  weight_decay: number;
  clip_grad: number | null;
  drop_path: number;
  seed: number;
  linear_probe: boolean;
  kd: { teacher: string; family: string; temperature: number; alpha: number } | null;
  pruned: { masked_tensors: number; pruned_weights: number; non_zero: number } | null;
  /** The epoch with the highest validation accuracy (best.safetensors), and that accuracy; null without a validation split. */
  best_epoch: number | null;
  best_val_acc: number | null;
  /** The final model on the validation split (null without one). */
  final_val_acc: number | null;
  final_val_loss: number | null;
  /** The final model on the test split (--eval-size images, or all). */
  final_acc: number | null;
  final_loss: number | null;
  final_per_class: { class: number; name: string; accuracy: number }[] | null;
  images_per_s: number;
  ms_per_step: number;
  train_seconds: number;
  wall_seconds: number;
  interrupted: boolean;
  completed_steps: number;
}

export interface TrainResult {
  model: Model;
  spec: ModelSpec;
  summary: TrainSummary;
  interrupted: boolean;
  final: EvalResult | null;
}

/** What a resumed run must agree on with the run it continues. */
interface RunIdentity {
  family: string;
  config: Record<string, unknown>;
  init: string;
  data: string;
  train_size: number | null;
  val_size: number | null;
  eval_size: number | null;
  total_steps: number;
  batch_size: number;
  lr: number;
  min_lr: number;
  warmup_steps: number;
  weight_decay: number;
  clip_grad: number | null;
  drop_path: number;
  augment: Record<string, unknown>;
  seed: number;
  linear_probe: boolean;
  kd: Record<string, unknown> | null;
}

interface TrainState {
  step: number;
  epoch: number;
  best_val_acc: number | null;
  best_epoch: number | null;
  optimizer_steps: Record<string, number>;
  /** Running sums of the epoch in progress (so its record matches an uninterrupted run). */
  epoch_loss_sum: number;
  epoch_correct: number;
  epoch_seen: number;
  train_seconds: number;
  images_seen: number;
  identity: RunIdentity;
}

function parseInit(init: string): { scheme: InitScheme; path: string | null } {
  if (init.startsWith('random:')) {
    const scheme = init.slice('random:'.length);
    if (!(INIT_SCHEMES as readonly string[]).includes(scheme)) throw new TrainingError(`--init ${init}: unknown scheme (known: ${INIT_SCHEMES.map((s) => `random:${s}`).join(', ')}, or a checkpoint path)`);
    return { scheme: scheme as InitScheme, path: null };
  }
  if (init === 'random') return { scheme: 'timm', path: null };
  return { scheme: 'timm', path: init };
}

function positive(name: string, v: number | undefined, integer = false): void {
  if (v === undefined) return;
  if (!(Number.isFinite(v) && v > 0) || (integer && !Number.isInteger(v))) throw new TrainingError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
}

/** Derive every block's stochastic-depth generator from (seed, step): drop-path masks then do not depend on history. */
function reseedDropPath(model: Model, seed: number, step: number): void {
  let i = 0;
  for (const [, m] of model.namedModules()) {
    if (m instanceof DropPath) m.reseed(new DataRng(seed, 0xd0d0, step, i).nextU32() | 0);
    i++;
  }
}

function argmaxCorrect(logits: Tensor, y: ArrayLike<number>): number {
  const [n, c] = logits.shape as [number, number];
  const z = logits.data;
  let right = 0;
  for (let i = 0; i < n; i++) {
    let arg = 0;
    for (let j = 1; j < c; j++) if (z[i * c + j]! > z[i * c + arg]!) arg = j;
    if (arg === y[i]) right++;
  }
  return right;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function withConfigErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError) throw new TrainingError(`bad model config: ${e.message}`);
    throw e;
  }
}

/** A model from a checkpoint that must be complete (a KD teacher, an evaluated model). */
export function loadCompleteModel(file: string, family?: ModelFamily, config?: Record<string, unknown>): { model: Model; spec: ModelSpec } {
  const reader = openCheckpoint(file);
  try {
    const spec = withConfigErrors(() => specFromCheckpoint(reader, family, config ?? {}));
    const model = buildModel(spec, 0);
    const report = loadIntoModel(model, reader);
    if (report.missing.length > 0) {
      throw new TrainingError(`${file}: incomplete model, missing ${report.missing.slice(0, 6).join(', ')}${report.missing.length > 6 ? `, ... (${report.missing.length})` : ''}`);
    }
    model.eval();
    return { model, spec };
  } finally {
    reader.close();
  }
}

/**
 * Train a model. Async only so that signals get through: with `shouldStop` given, the loop yields to the event
 * loop after every step, which lets a SIGINT handler (Ctrl-C) set the flag it reads.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const wallStart = performance.now();
  const log = opts.log ?? (() => {});
  const seed = opts.seed ?? 0;
  const batchSize = opts.batchSize ?? 64;
  const lr = opts.lr ?? 1e-3;
  const minLr = opts.minLr ?? 1e-6;
  const weightDecay = opts.weightDecay ?? 0.05;
  const initText = opts.init ?? 'random:timm';
  positive('--batch-size', batchSize, true);
  positive('--lr', lr);
  positive('--epochs', opts.epochs, true);
  positive('--steps', opts.steps, true);
  if (!(minLr >= 0 && minLr <= lr)) throw new TrainingError(`--min-lr must be in [0, lr], got ${minLr}`);
  if (!(weightDecay >= 0)) throw new TrainingError(`--weight-decay must be >= 0, got ${weightDecay}`);
  if (opts.clipGrad !== undefined) positive('--clip-grad', opts.clipGrad);
  if (opts.epochs !== undefined && opts.steps !== undefined) throw new TrainingError('give --epochs or --steps, not both');
  const init = parseInit(initText);

  // ---- everything is checked before anything is written ----
  const dataset = typeof opts.data === 'string' ? loadDatasetOrThrow(opts.data) : opts.data;
  const dataName = typeof opts.data === 'string' ? opts.data : dataset.name;
  let reader: CheckpointReader | null = null;
  let spec: ModelSpec;
  let model: Model;
  let loaded: string[] = [];
  let initialized: string[] = [];
  let masks: Masks | null = null;
  try {
    if (init.path !== null) {
      reader = openCheckpoint(init.path);
      const r = reader;
      const hasHead = (s: ModelSpec) => modelTensorNames(r).some((n) => n.startsWith(headPrefix(s.family)));
      spec = withConfigErrors(() => {
        let s = specFromCheckpoint(r, opts.family, opts.config ?? {}, defaultDropPath);
        if (opts.dropPath !== undefined) s = { ...s, dropPathRate: opts.dropPath };
        // A checkpoint without its classifier (selection leaves it out) takes the data's label set.
        if (modelClasses(s) !== dataset.classes && (opts.resetHead || !hasHead(s)) && opts.config?.['num_classes'] === undefined) {
          s = resolveModelSpec(s.family, s.config, { num_classes: dataset.classes }, s.dropPathRate);
        }
        return s;
      });
      if (modelClasses(spec) !== dataset.classes) {
        throw new TrainingError(`${init.path}: the classifier has ${modelClasses(spec)} classes and ${dataName} has ${dataset.classes}; add --reset-head to train a new one`);
      }
    } else {
      if (!opts.family) throw new TrainingError('--model is required with a random --init');
      const family = opts.family;
      // Data-derived defaults for what the user leaves unset: label set, channels, image side.
      const base = dataDefaults(family, dataset);
      spec = withConfigErrors(() => resolveModelSpec(family, base, opts.config ?? {}, defaultDropPath(family)));
      if (opts.dropPath !== undefined) spec = { ...spec, dropPathRate: opts.dropPath };
      if (modelClasses(spec) !== dataset.classes) throw new TrainingError(`num_classes ${modelClasses(spec)} differs from the ${dataset.classes} classes of ${dataName}`);
    }
    model = buildModel(spec, seed);
    initModel(model, init.scheme, seed);
    if (reader !== null) {
      const head = headPrefix(spec.family);
      const report = loadIntoModel(model, reader, (n) => Boolean(opts.resetHead) && n.startsWith(head));
      loaded = report.loaded;
      initialized = report.missing;
      masks = Masks.fromPruned(model, reader.metadata);
      log(`init: ${loaded.length} tensors from ${init.path}; initialized (${init.scheme}): ${initialized.length ? initialized.join(', ') : 'none'}`);
      if (masks) log(`pruned checkpoint: ${masks.names.length} masked tensors, ${masks.prunedCount} weights held at zero`);
    } else {
      log(`init: random (${init.scheme}, seed ${seed})`);
    }
  } finally {
    reader?.close();
  }

  const data: TrainData = prepareData(dataset, spec, {
    trainSize: opts.trainSize, valSize: opts.valSize, evalSize: opts.evalSize, seed, augment: opts.augment ?? {}, imgSize: opts.imgSize,
  });
  const loader = trainLoader(data, batchSize, seed);
  const evalBatch = opts.evalBatchSize ?? Math.max(batchSize, 128);
  const evalData = evalLoader(data, evalBatch);
  const valData = valLoader(data, evalBatch);
  const stepsPerEpoch = loader.length;
  const totalSteps = opts.steps ?? (opts.epochs ?? 10) * stepsPerEpoch;
  const epochs = Math.ceil(totalSteps / stepsPerEpoch);
  const warmupSteps = opts.warmupSteps ?? (opts.warmupEpochs !== undefined ? Math.round(opts.warmupEpochs * stepsPerEpoch) : Math.round(0.05 * totalSteps));
  if (!(Number.isInteger(warmupSteps) && warmupSteps >= 0 && warmupSteps <= totalSteps)) throw new TrainingError(`warm-up of ${warmupSteps} steps does not fit ${totalSteps} steps`);
  const schedule = { baseLr: lr, minLr, warmupIters: warmupSteps, warmupStartLr: minLr, totalIters: totalSteps };

  // Knowledge distillation teacher: inference only.
  let teacher: { model: Model; spec: ModelSpec } | null = null;
  const kdAlpha = opts.kd?.alpha ?? 0.5;
  const kdT = opts.kd?.temperature ?? 1;
  if (opts.kd) {
    if (!(kdAlpha >= 0 && kdAlpha <= 1)) throw new TrainingError(`--kd-alpha must be in [0, 1], got ${kdAlpha}`);
    positive('--kd-temperature', kdT);
    teacher = loadCompleteModel(opts.kd.teacher, opts.kd.family, opts.kd.config);
    if (modelClasses(teacher.spec) !== dataset.classes) throw new TrainingError(`KD teacher ${opts.kd.teacher} has ${modelClasses(teacher.spec)} classes, the data ${dataset.classes}`);
    const ti = modelInput(teacher.spec);
    if (ti.channels !== modelInput(spec).channels || (ti.size !== null && ti.size !== data.side)) {
      throw new TrainingError(`KD teacher ${opts.kd.teacher} takes ${ti.channels}x${ti.size ?? 'any'} input, the student ${modelInput(spec).channels}x${data.side}`);
    }
    log(`KD teacher: ${teacher.spec.family} ${JSON.stringify(teacher.spec.config)}, T=${kdT}, alpha=${kdAlpha}`);
  }

  // Linear probe: only the classifier learns; the rest is frozen and runs in inference mode.
  const named = model.namedParameters();
  const head = headPrefix(spec.family);
  if (opts.linearProbe) {
    for (const [n, p] of named) p.requiresGrad = n.startsWith(head);
    if (!named.some(([n]) => n.startsWith(head))) throw new TrainingError('--linear-probe needs a classifier (num_classes > 0)');
  }
  const trainable = named.filter(([, p]) => p.requiresGrad);
  const noDecay = [...noWeightDecayNames(spec.family), ...named.filter(([n]) => n.endsWith('gamma')).map(([n]) => n)];
  const optimizer = new AdamW(paramGroupsWeightDecay(named, weightDecay, noDecay), { lr, eps: 1e-8, weightDecay });
  const trainParams = trainable.map(([, p]) => p);

  const identity: RunIdentity = {
    family: spec.family, config: spec.config, init: initText, data: dataName, train_size: opts.trainSize ?? null,
    val_size: opts.valSize ?? null, eval_size: opts.evalSize ?? null, total_steps: totalSteps, batch_size: batchSize, lr, min_lr: minLr, warmup_steps: warmupSteps,
    weight_decay: weightDecay, clip_grad: opts.clipGrad ?? null, drop_path: spec.dropPathRate, augment: { ...data.augment }, seed,
    linear_probe: Boolean(opts.linearProbe),
    kd: opts.kd ? { teacher: path.basename(opts.kd.teacher), temperature: kdT, alpha: kdAlpha } : null,
  };

  // ---- output folder and resume ----
  const out = opts.out ?? null;
  const lastPath = out ? path.join(out, 'last.safetensors') : null;
  let state: TrainState = {
    step: 0, epoch: 0, best_val_acc: null, best_epoch: null, optimizer_steps: {}, epoch_loss_sum: 0, epoch_correct: 0, epoch_seen: 0,
    train_seconds: 0, images_seen: 0, identity,
  };
  let resumed = false;
  if (out !== null && lastPath !== null) {
    if (fs.existsSync(lastPath)) {
      if (!opts.resume) throw new TrainingError(`${out} already holds a run (last.safetensors); add --resume to continue it, or choose another --out`);
      const r = openCheckpoint(lastPath);
      try {
        const text = r.metadata[TRAIN_STATE_KEY];
        if (!text) throw new TrainingError(`${lastPath}: no training state in its metadata`);
        const saved = JSON.parse(text) as TrainState;
        // A setting a run saved by an older version did not record (val_size) had its default, null.
        const diff = (Object.keys(identity) as (keyof RunIdentity)[]).filter((k) => !sameJson(identity[k], saved.identity[k] ?? null));
        if (diff.length > 0) {
          throw new TrainingError(`--resume: this run differs from the one in ${out} in ${diff.map((k) => `${k} (${JSON.stringify(saved.identity[k])} there, ${JSON.stringify(identity[k])} now)`).join(', ')}`);
        }
        loadIntoModel(model, r);
        optimizer.importState(named, OPTIMIZER_PREFIX, saved.optimizer_steps, (n) => readFloat32(r, n));
        state = { ...saved, images_seen: saved.images_seen ?? 0, identity };
        resumed = true;
        log(`resumed from ${lastPath} at step ${state.step} of ${totalSteps}`);
      } finally {
        r.close();
      }
    } else if (opts.resume) {
      log(`nothing to resume in ${out}; starting`);
    }
    fs.mkdirSync(out, { recursive: true });
  }
  const metrics = new MetricsLog(out ? path.join(out, 'metrics.jsonl') : null);
  metrics.open(resumed ? state.step : null);
  masks?.apply();

  const baseMeta = (extra: Record<string, string>) => modelMetadata(spec, {
    'wsel.init': initText, 'wsel.data': dataName, 'wsel.input_size': String(data.side), ...extra,
  });
  const saveLast = (): void => {
    if (lastPath === null) return;
    state.optimizer_steps = {};
    const exported = optimizer.exportState(named, OPTIMIZER_PREFIX);
    state.optimizer_steps = exported.steps;
    saveModel(lastPath, model, baseMeta({ [TRAIN_STATE_KEY]: JSON.stringify(state) }), { extra: exported.tensors });
  };

  // ---- the loop ----
  const ownTraining = !opts.linearProbe;
  model.train(ownTraining);
  const logEvery = opts.logEvery ?? 50;
  const evalEvery = opts.evalEvery ?? 1;
  let trainMs = state.train_seconds * 1000;
  let imagesDone = 0;
  let runMs = 0;
  let emaLoss = NaN;
  let interrupted = false;
  let lastEval: EvalResult | null = null;
  let lastVal: EvalResult | null = null;
  let stepLr = lr;
  for (let s = state.step; s < totalSteps; s++) {
    const epoch = Math.floor(s / stepsPerEpoch);
    const b = s % stepsPerEpoch;
    const t0 = performance.now();
    const batch: Batch = loader.batch(epoch, b);
    const n = batch.shape[0];
    stepLr = cosineLr(s, schedule);
    optimizer.setLr(stepLr);
    if (ownTraining) reseedDropPath(model, seed, s);
    const { loss, correct } = tidy(() => {
      optimizer.zeroGrad();
      const x = tensor(batch.x, batch.shape);
      const logits = model.forward(x);
      let l = batch.targets ? crossEntropy(logits, tensor(batch.targets, [n, loader.classes])) : crossEntropy(logits, batch.y);
      if (teacher && kdAlpha > 0) {
        const tLogits = noGrad(() => teacher!.model.forward(x));
        const kd = distillationKL(logits, tLogits, kdT);
        l = kdAlpha === 1 ? kd : add(mulScalar(l, 1 - kdAlpha), mulScalar(kd, kdAlpha));
      }
      backward(l);
      masks?.maskGrads();
      if (opts.clipGrad !== undefined) clipGradNorm(trainParams, opts.clipGrad);
      noGrad(() => optimizer.step());
      masks?.apply();
      return { loss: l.item(), correct: argmaxCorrect(logits, batch.y) };
    });
    if (!Number.isFinite(loss)) throw new TrainingError(`the loss became ${loss} at step ${s + 1}; lower --lr or add --clip-grad`);
    const ms = performance.now() - t0;
    trainMs += ms;
    runMs += ms;
    imagesDone += n;
    state.images_seen += n;
    state.epoch_loss_sum += loss * n;
    state.epoch_correct += correct;
    state.epoch_seen += n;
    emaLoss = Number.isNaN(emaLoss) ? loss : 0.9 * emaLoss + 0.1 * loss;
    const ips = runMs > 0 ? (imagesDone * 1000) / runMs : 0;
    state.step = s + 1;
    state.epoch = epoch;
    state.train_seconds = trainMs / 1000;
    opts.onStep?.({
      step: s + 1, totalSteps, epoch: epoch + 1, epochs, loss: emaLoss, trainAcc: state.epoch_correct / state.epoch_seen,
      imagesPerSecond: ips, lr: stepLr,
    });
    if (logEvery > 0 && (s + 1) % logEvery === 0) {
      metrics.write({ type: 'step', step: s + 1, epoch: epoch + 1, lr: stepLr, loss, train_acc: correct / n, images_per_s: ips });
    }
    const endOfEpoch = (s + 1) % stepsPerEpoch === 0 || s + 1 === totalSteps;
    if (endOfEpoch) {
      const isLast = s + 1 === totalSteps;
      let ev: EvalResult | null = null;
      let vev: EvalResult | null = null;
      if (isLast || (evalEvery > 0 && (epoch + 1) % evalEvery === 0)) {
        if (valData) {
          vev = evaluate(model, valData, dataset.classNames, opts.onEvalBatch);
          lastVal = vev;
          // "Best" is chosen on the validation split only; the test split is measured, never chosen on.
          if (state.best_val_acc === null || vev.accuracy > state.best_val_acc) {
            state.best_val_acc = vev.accuracy;
            state.best_epoch = epoch + 1;
            if (out) saveModel(path.join(out, 'best.safetensors'), model, baseMeta({ 'wsel.eval': JSON.stringify({ epoch: epoch + 1, step: s + 1, val_accuracy: vev.accuracy, val_loss: vev.loss }) }), { dtype: opts.saveDtype ?? 'F32' });
          }
        }
        ev = evaluate(model, evalData, dataset.classNames, opts.onEvalBatch);
        model.train(ownTraining);
        lastEval = ev;
      }
      const rec: EpochRecord = {
        type: 'epoch', epoch: epoch + 1, step: s + 1, lr: stepLr,
        train_loss: state.epoch_loss_sum / state.epoch_seen, train_acc: state.epoch_correct / state.epoch_seen,
        eval_loss: ev?.loss ?? null, eval_acc: ev?.accuracy ?? null,
        ...(valData ? { val_loss: vev?.loss ?? null, val_acc: vev?.accuracy ?? null, best_val_acc: state.best_val_acc } : {}),
        images_per_s: ips,
        elapsed_s: (performance.now() - wallStart) / 1000,
      };
      metrics.write(rec);
      opts.onEpoch?.(rec);
      state.epoch_loss_sum = 0;
      state.epoch_correct = 0;
      state.epoch_seen = 0;
      saveLast();
    } else if (opts.saveEvery !== undefined && (s + 1) % opts.saveEvery === 0) {
      saveLast();
    }
    if (opts.shouldStop) await new Promise<void>((resolve) => setImmediate(resolve));
    if (s + 1 < totalSteps && ((opts.stopAfterSteps !== undefined && s + 1 >= opts.stopAfterSteps) || opts.shouldStop?.())) {
      if (!endOfEpoch) saveLast();
      interrupted = true;
      log(`stopped after step ${s + 1} of ${totalSteps}${out ? `; continue with --resume (${lastPath})` : ''}`);
      break;
    }
  }
  if (!interrupted && state.step >= totalSteps && lastEval === null) {
    // Resumed exactly at the end: evaluate what is there.
    if (valData) lastVal = evaluate(model, valData, dataset.classNames, opts.onEvalBatch);
    lastEval = evaluate(model, evalData, dataset.classNames, opts.onEvalBatch);
  }

  const steps = state.step;
  const summary: TrainSummary = {
    wsel_version: VERSION, family: spec.family, config: spec.config, parameters: model.numParameters(),
    trainable_parameters: trainParams.reduce((a, p) => a + p.size, 0), init: initText, loaded_tensors: loaded.length,
    initialized_tensors: initialized, data: dataName, train_size: loader.size, val_size: valData?.size ?? null, eval_size: evalData.size,
    input: { channels: modelInput(spec).channels, size: data.side }, augment: { ...data.augment }, epochs, steps: totalSteps,
    steps_per_epoch: stepsPerEpoch, batch_size: batchSize, lr, min_lr: minLr, warmup_steps: warmupSteps, weight_decay: weightDecay,
    clip_grad: opts.clipGrad ?? null, drop_path: spec.dropPathRate, seed, linear_probe: Boolean(opts.linearProbe),
    kd: opts.kd && teacher ? { teacher: opts.kd.teacher, family: teacher.spec.family, temperature: kdT, alpha: kdAlpha } : null,
    pruned: masks ? { masked_tensors: masks.names.length, pruned_weights: masks.prunedCount, non_zero: countNonZero(model) } : null,
    best_epoch: state.best_epoch, best_val_acc: state.best_val_acc,
    final_val_acc: interrupted ? null : lastVal?.accuracy ?? null, final_val_loss: interrupted ? null : lastVal?.loss ?? null,
    final_acc: interrupted ? null : lastEval?.accuracy ?? null, final_loss: interrupted ? null : lastEval?.loss ?? null,
    final_per_class: interrupted || !lastEval ? null : lastEval.perClass.map((c) => ({ class: c.class, name: c.name, accuracy: c.accuracy })),
    images_per_s: trainMs > 0 ? (state.images_seen * 1000) / trainMs : 0,
    ms_per_step: steps > 0 ? trainMs / steps : 0,
    train_seconds: trainMs / 1000, wall_seconds: (performance.now() - wallStart) / 1000, interrupted, completed_steps: steps,
  };
  if (out) {
    if (!interrupted) saveModel(path.join(out, 'final.safetensors'), model, baseMeta({ 'wsel.eval': JSON.stringify({ accuracy: summary.final_acc, loss: summary.final_loss }) }), { dtype: opts.saveDtype ?? 'F32' });
    writeJsonAtomic(path.join(out, 'summary.json'), summary);
  }
  return { model, spec, summary, interrupted, final: interrupted ? null : lastEval };
}
