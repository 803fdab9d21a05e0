// What an experiment grid declares in JSON (method x dataset x seed): the config's types. schema.ts checks a
// config, plan.ts expands it into runs.
import { WselError } from '../errors.js';

export class ExperimentError extends WselError {}

/** A command-line flag value: true is the bare flag, false is --no-FLAG, objects and arrays are JSON. */
export type FlagValue = string | number | boolean | Record<string, unknown> | unknown[];
export type Flags = Record<string, FlagValue>;

export interface DatasetSpec {
  /** --data: mnist, fashion-mnist or a path. */
  data: string;
  /** --train-size (absent: the whole train split). */
  trainSize?: number;
  epochs?: number;
  steps?: number;
  /** More `wsel train` flags for every run on this dataset (e.g. eval-every). */
  train?: Flags;
  /** A run's stage is the larger of its method's and its dataset's (default 1). */
  stage?: number;
}

/** Another run of the grid: a method, on a dataset (default: the same), with a seed (default: the same). */
export type RunRef = string | { method: string; dataset?: string; seed?: number };

export interface MethodSpec {
  id: string;
  /** A short name for tables and plots. */
  label?: string;
  /** Datasets (ids) this method runs on; default: all. */
  datasets?: string[];
  /** Seeds; default: the grid's. */
  seeds?: number[];
  /** Runs of a lower stage are ordered first (default 1). */
  stage?: number;
  /** `wsel select` flags (--out and --seed are added; `{data}` in a value is the dataset's data source, e.g.
   *  "calib": "{data}:256"); the train run starts from its output. */
  select?: Flags;
  /** The select teacher is another run's final.safetensors (instead of select.teacher). */
  selectFrom?: RunRef;
  /** `wsel prune` flags (--out is added); the train run starts from its output. */
  prune?: Flags;
  /** `wsel train` flags over the grid's and the dataset's. */
  train?: Flags;
  /** --kd-teacher is this run's final.safetensors. */
  kdFrom?: RunRef;
  /** --init is this run's final.safetensors (pre-train, then fine-tune). */
  initFrom?: RunRef;
  /** Multiply the dataset's epochs (or steps): a longer schedule. */
  scale?: number;
}

export interface ClaimSpec {
  id: string;
  title: string;
  /** The claim in words, as the paper makes it. */
  claim?: string;
  /**
   * compare (default): every [better, worse] pair on every listed dataset must show mean(better) > mean(worse),
   * significant under the stated test. trend: the gain of pairs[0] shrinks along `datasets`. compute: the
   * compute the `baselines` need to reach the accuracy of `target`.
   */
  kind?: 'compare' | 'trend' | 'compute';
  pairs?: [string, string][];
  /** Pairs shown without a verdict (e.g. "first-N elements compared too"). */
  compared?: [string, string][];
  datasets?: string[];
  target?: string;
  /** compute: baselines; a baseline's cost includes the runs it starts from (initFrom). */
  baselines?: string[];
  /** compute: reproduced when no baseline reaches the target's accuracy with less than this many times its compute (default 1). */
  ratio?: number;
}

/**
 * A choice among methods (e.g. selection recipes of one family): the candidate with the highest validation
 * accuracy (final model, mean over seeds, averaged over the train sets) is chosen; it is then compared on the
 * test split with the reference and the baselines (the headline of the report).
 */
export interface ChoiceSpec {
  id: string;
  title: string;
  candidates: string[];
  /** The method the choice replaces (the paper's rule). */
  reference: string;
  /** Random inits and pruning baselines the chosen method is compared with on the test split. */
  baselines: string[];
  /** Default: every dataset a candidate runs on. */
  datasets?: string[];
}

/** How a student's gain over random init follows its teacher's accuracy: one method per teacher checkpoint. */
export interface TeacherQualitySpec {
  id: string;
  title: string;
  /** The random-init method the gain is measured against. */
  baseline: string;
  /** Each teacher: the method selecting from it and the teacher's own test accuracy (0..1). */
  points: { method: string; teacherAccuracy: number; teacher: string }[];
  datasets?: string[];
}

export interface CurveSpec {
  title?: string;
  dataset: string;
  methods: string[];
}

export interface ExperimentConfig {
  name: string;
  description?: string;
  seeds: number[];
  datasets: Record<string, DatasetSpec>;
  /** `wsel train` flags for every run. */
  train?: Flags;
  methods: MethodSpec[];
  claims?: ClaimSpec[];
  choices?: ChoiceSpec[];
  teacherQuality?: TeacherQualitySpec[];
  curves?: CurveSpec[];
  /** Keep every run's checkpoints (default: only final.safetensors of runs other runs start from). */
  keepCheckpoints?: boolean;
}
