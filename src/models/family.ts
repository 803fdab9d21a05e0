// What a trainable family registers (src/models/registry.ts): its declaration, its model, and the facts the
// trainer needs about it. Each model module defines its own entry next to its model class, so a family's
// declaration, model and facts are read in one place.
import type { Family } from '../arch/types.js';
import type { VisionFamilyName } from '../arch/family-names.js';
import type { Module } from '../engine/index.js';

/** Config fields only training uses (they change no tensor). */
export interface TrainingFields {
  drop_path_rate?: number;
  /** Seed of the model's own initialization and of stochastic depth. */
  seed?: number;
}

export interface TrainableFamily<A extends object, M extends Module> {
  readonly name: VisionFamilyName;
  /** The declaration `wsel select` uses: config validation, tensor names and shapes (src/arch). */
  readonly arch: Family<A>;
  /** timm's constructor defaults (ImageNet). */
  readonly defaults: Readonly<A>;
  /** The trainable model of an architecture config plus the training-only fields. */
  create(config: Partial<A> & TrainingFields): M;
  /** The classifier's tensors start with this: re-initialized for a new task, the only ones a linear probe trains. */
  readonly classifierPrefix: string;
  /** timm's no_weight_decay() names, besides 1-D tensors and biases. */
  readonly noWeightDecay: readonly string[];
  /** Stochastic depth rate when none is given (the paper's recipe). */
  readonly defaultDropPath: number;
  /** 'img_size': the model takes one square side, its config's img_size; 'any': any side. */
  readonly inputSide: 'img_size' | 'any';
  /** Why the trainable model cannot build a config the declaration accepts; null when it can. */
  unbuildable(config: A): string | null;
}
