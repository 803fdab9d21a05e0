// Activation importance for `wsel select --elements activation`: run the teacher (inference mode, no gradients)
// on calibration images and score every unit of every dimension space by what it carries on real data.
//
// The statistic is Minitron's (Muralidharan et al. 2024, as NVIDIA Model Optimizer computes it): at a probe
// point, a unit's activation is averaged in absolute value over the positions of one image (tokens, patches or
// pixels), the per-image values are combined as an L2 norm over the images, and a space's score is the sum over
// every probe point in that space. The probe points (the same tensors Minitron reads):
// - a residual stream (ViT and Mixer `embed`, a ConvNeXt stage's `dim.s`): the output of every LayerNorm that
//   reads it (ViT/Mixer: every block's norm1 and norm2 and the final norm; ConvNeXt: every block's norm, after
//   the depthwise conv), so the stream is scored where it is read, with every write to it before that point;
// - an MLP's hidden units (ViT `blocks.i.mlp`, ConvNeXt `stages.s.blocks.i.mlp`, Mixer `blocks.i.mlp_channels`
//   and `blocks.i.mlp_tokens`): the input of fc2, after the GELU (the token MLP's positions are the channels);
// - attention (ViT `blocks.i.attn`, heads x head width): the input of attn.proj, every head's output per
//   dimension; whole-head selection sums a head's dimensions.
// Kernel taps, token grids and label sets have no activations to score. Same teacher, data and seed: same scores.
import type { Dataset } from '../data/index.js';
import { DataLoader, stratifiedSubset } from '../data/index.js';
import { gelu, linear, noGrad, tensor, tidy, type Linear, type Module, type Tensor } from '../engine/index.js';
import { ConvNeXt, MlpMixer, VisionTransformer, type Model } from '../models/index.js';
import { loadIntoModel, openModelCheckpoint, specFromCheckpoint } from './checkpoint.js';
import { loadDatasetOrThrow, prepareData } from './data.js';
import { TrainingError } from './errors.js';
import { buildModel } from './model-config.js';

/** Calibration images when `--calib` gives no count: a few hundred, as in Minitron's practice. */
export const DEFAULT_CALIBRATION_IMAGES = 256;

export interface CalibrateOptions {
  /** Teacher checkpoint (a ViT, ConvNeXt or MLP-Mixer the trainer can build). */
  teacher: string;
  /** Data source, as `wsel train --data` takes it (mnist, fashion-mnist, a folder), or a loaded dataset. */
  data: string | Dataset;
  /** Calibration images: a class-balanced subset of the train split, seeded by `seed`. */
  images: number;
  seed: number;
  batchSize?: number;
  onBatch?: (done: number, total: number) => void;
}

export interface Calibration {
  /** Score of every unit of every scored teacher space (the selection's `activation.scores`). */
  scores: Map<string, Float64Array>;
  /** What the scores were computed from (recorded in the selected student). */
  source: { data: string; split: 'train'; images: number; seed: number; statistic: string };
  /** The probe points of each space, e.g. embed: ["blocks.0.norm1", ...]. */
  probes: Record<string, string[]>;
}

/** `DATA[:N]` -> data source and image count (default DEFAULT_CALIBRATION_IMAGES). */
export function parseCalibSpec(spec: string): { data: string; images: number } {
  const m = /^(.*):(\d+)$/.exec(spec);
  const data = m ? m[1]! : spec;
  const images = m ? Number(m[2]) : DEFAULT_CALIBRATION_IMAGES;
  if (data === '') throw new TrainingError(`--calib ${spec}: give a data source, e.g. mnist:256`);
  if (!(Number.isSafeInteger(images) && images > 0)) throw new TrainingError(`--calib ${spec}: the image count must be a positive integer`);
  return { data, images };
}

/** One probe point: per unit, the sum over images of (mean |x| over the image's positions)^2. */
class ProbePoint {
  readonly sumSquares: Float64Array;
  constructor(readonly space: string, readonly name: string, units: number) {
    this.sumSquares = new Float64Array(units);
  }

  /** x: channels last, (images, ...positions, units). */
  add(x: Tensor): void {
    const units = this.sumSquares.length;
    if (x.shape[x.ndim - 1] !== units) throw new Error(`probe ${this.name}: expected ${units} units, got shape (${x.shape.join(', ')})`);
    const images = x.shape[0]!;
    const positions = x.size / (images * units);
    const mean = new Float64Array(units);
    const d = x.data;
    for (let b = 0; b < images; b++) {
      mean.fill(0);
      const base = b * positions * units;
      for (let p = 0; p < positions; p++) {
        const row = base + p * units;
        for (let u = 0; u < units; u++) mean[u]! += Math.abs(d[row + u]!);
      }
      for (let u = 0; u < units; u++) {
        const m = mean[u]! / positions;
        this.sumSquares[u]! += m * m;
      }
    }
  }
}

type Restore = () => void;

/** Where a model's probe points are, as hooks on its modules' forward methods (undone by the returned Restore). */
class Probes {
  readonly points: ProbePoint[] = [];
  private readonly restores: Restore[] = [];

  private point(space: string, name: string, units: number): ProbePoint {
    const p = new ProbePoint(space, name, units);
    this.points.push(p);
    return p;
  }

  /** Observe a module's forward output. */
  output(module: Module & { forward(x: Tensor): Tensor }, space: string, name: string, units: number): void {
    const p = this.point(space, name, units);
    this.replace(module, (original) => (x: Tensor) => {
      const y = original(x);
      p.add(y);
      return y;
    });
  }

  /** Observe a Linear's input. */
  input(module: Linear, space: string, name: string): void {
    const p = this.point(space, name, module.weight.size / module.weight.shape[0]!);
    this.replace(module, (original) => (x: Tensor) => {
      p.add(x);
      return original(x);
    });
  }

  /** Observe a ConvNeXt block MLP (fc1/fc2 called functionally): its input, and fc1's output after the GELU. */
  convnextMlp(mlp: Module & { fc1: { weight: Tensor; bias: Tensor | null }; forward(x: Tensor): Tensor }, stream: string, hidden: string, name: string): void {
    const inputPoint = this.point(stream, `${name}.norm`, mlp.fc1.weight.size / mlp.fc1.weight.shape[0]!);
    const hiddenPoint = this.point(hidden, `${name}.mlp.fc2`, mlp.fc1.weight.shape[0]!);
    this.replace(mlp, (original) => (x: Tensor) => {
      inputPoint.add(x);
      // What fc2 reads, computed as the block computes it; the block's own forward still makes the output.
      hiddenPoint.add(gelu(linear(x, mlp.fc1.weight, mlp.fc1.bias)));
      return original(x);
    });
  }

  private replace<M extends { forward(x: Tensor): Tensor }>(module: M, make: (original: (x: Tensor) => Tensor) => (x: Tensor) => Tensor): void {
    const original = module.forward.bind(module);
    module.forward = make(original);
    this.restores.push(() => {
      delete (module as { forward?: unknown }).forward; // back to the prototype's method
    });
  }

  restore(): void {
    for (const r of this.restores.splice(0)) r();
  }
}

function attachProbes(model: Model): Probes {
  const probes = new Probes();
  if (model instanceof VisionTransformer) {
    const width = model.config.embed_dim;
    [...model.blocks].forEach((blk, i) => {
      probes.output(blk.norm1, 'embed', `blocks.${i}.norm1`, width);
      probes.output(blk.norm2, 'embed', `blocks.${i}.norm2`, width);
      probes.input(blk.attn.proj, `blocks.${i}.attn`, `blocks.${i}.attn.proj`);
      probes.input(blk.mlp.fc2, `blocks.${i}.mlp`, `blocks.${i}.mlp.fc2`);
    });
    if (model.norm) probes.output(model.norm, 'embed', 'norm', width);
  } else if (model instanceof MlpMixer) {
    const width = model.config.embed_dim;
    [...model.blocks].forEach((blk, i) => {
      probes.output(blk.norm1, 'embed', `blocks.${i}.norm1`, width);
      probes.output(blk.norm2, 'embed', `blocks.${i}.norm2`, width);
      probes.input(blk.mlpTokens.fc2, `blocks.${i}.mlp_tokens`, `blocks.${i}.mlp_tokens.fc2`);
      probes.input(blk.mlpChannels.fc2, `blocks.${i}.mlp_channels`, `blocks.${i}.mlp_channels.fc2`);
    });
    probes.output(model.norm, 'embed', 'norm', width);
  } else if (model instanceof ConvNeXt) {
    [...model.stages].forEach((stage, s) => {
      [...stage.blocks].forEach((blk, i) => {
        const name = `stages.${s}.blocks.${i}`;
        probes.convnextMlp(blk.mlp, `dim.${s}`, `${name}.mlp`, name);
      });
    });
  }
  return probes;
}

/** Score every space of the teacher by its activations on calibration images (see the top of this file). */
export function calibrate(opts: CalibrateOptions): Calibration {
  const reader = openModelCheckpoint(opts.teacher);
  let model: Model;
  let spec;
  let recordedSide: number | undefined;
  try {
    spec = specFromCheckpoint(reader);
    model = buildModel(spec);
    loadIntoModel(model, reader);
    const side = Number(reader.metadata['wsel.input_size']);
    recordedSide = Number.isSafeInteger(side) && side > 0 ? side : undefined;
  } finally {
    reader.close();
  }
  const dataset = typeof opts.data === 'string' ? loadDatasetOrThrow(opts.data) : opts.data;
  const source = typeof opts.data === 'string' ? opts.data : dataset.source;
  if (!(Number.isSafeInteger(opts.images) && opts.images > 0)) throw new TrainingError(`calibration images must be a positive integer, got ${opts.images}`);
  if (opts.images > dataset.train.n) {
    throw new TrainingError(`--calib ${source}:${opts.images}: the train split of ${source} has only ${dataset.train.n} images`);
  }
  // ConvNeXt takes any side: the one the teacher was trained at, when it says.
  const imgSize = spec.family === 'convnext' ? recordedSide : undefined;
  const data = prepareData(dataset, spec, { seed: opts.seed, augment: {}, ...(imgSize ? { imgSize } : {}) });
  const indices = stratifiedSubset(dataset.train.labels, opts.images, opts.seed);
  const loader = new DataLoader(dataset.train, { batchSize: opts.batchSize ?? 64, transform: data.eval, indices });

  const batches = (function* () {
    for (const b of loader.epoch(0)) {
      yield b;
      opts.onBatch?.(b.batch + 1, loader.length);
    }
  })();
  const { scores, probes } = activationScores(model, batches);
  return {
    scores,
    probes,
    source: {
      data: source, split: 'train', images: opts.images, seed: opts.seed,
      statistic: 'sum over probe points of the L2 norm over images of the mean |activation| over positions',
    },
  };
}

/**
 * Run `model` in inference mode on every input batch (NCHW) and score its spaces. The model is left as it was
 * (its forward methods restored, its training mode back).
 */
export function activationScores(model: Model, inputs: Iterable<{ x: Float32Array; shape: readonly number[] }>): Pick<Calibration, 'scores' | 'probes'> {
  const probes = attachProbes(model);
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (const b of inputs) {
        tidy(() => {
          model.forward(tensor(b.x, b.shape));
        });
      }
    });
  } finally {
    probes.restore();
    model.train(wasTraining);
  }
  const scores = new Map<string, Float64Array>();
  const names: Record<string, string[]> = {};
  for (const p of probes.points) {
    let s = scores.get(p.space);
    if (!s) scores.set(p.space, (s = new Float64Array(p.sumSquares.length)));
    for (let u = 0; u < s.length; u++) s[u]! += Math.sqrt(p.sumSquares[u]!);
    (names[p.space] ??= []).push(p.name);
  }
  return { scores, probes: names };
}
