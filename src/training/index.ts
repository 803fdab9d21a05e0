// Training: models from `wsel select` configs and checkpoints, random-init baselines, the training loop
// (AdamW + cosine, augmentation, KD, linear probing, pruning masks, exact resume), evaluation.
export { TrainingError } from './errors.js';
export {
  MODEL_FAMILIES, buildModel, familyDefaults, headPrefix, isModelFamily, modelConfig, modelInput, resolveModelSpec,
  type ModelSpec,
} from './model-config.js';
export { INIT_SCHEMES, initModel, type InitScheme } from './init.js';
export {
  loadIntoModel, modelMetadata, readFloat32, saveModel, specFromCheckpoint, type LoadReport, type SaveDType,
} from './checkpoint.js';
export { Masks, countNonZero, globalTopK, isPrunable, pruneCheckpoint, PRUNE_KEY, type PruneRequest, type PruneResult } from './prune.js';
export { evaluate, type EvalResult, type ClassAccuracy } from './evaluate.js';
export {
  predict, PREDICT_DEFAULTS, type ClassProbability, type Prediction, type PredictInputs, type PredictOptions, type PredictResult,
} from './predict.js';
export { readClassNames, readPreprocess, type RecordedPreprocess } from './recorded-input.js';
export { prepareData, evalLoader, trainLoader, loadDatasetOrThrow, type AugmentOptions } from './data.js';
export { train, type TrainResult } from './trainer.js';
export { defaultDropPath, loadCompleteModel } from './model-setup.js';
export { OptionError, TRAIN_DEFAULTS, type EvalSplit, type KdOptions, type StepProgress, type TrainOptions } from './options.js';
export type { TrainSummary } from './summary.js';
export type { EpochRecord, StepRecord } from './metrics.js';
export { recordedConfig } from '../arch/recorded-config.js';
export {
  activationScores, calibrate, parseCalibSpec, DEFAULT_CALIBRATION_IMAGES, type Calibration, type CalibrateOptions,
} from './calibrate.js';
