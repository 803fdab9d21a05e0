export { Optimizer, paramGroupsWeightDecay, type ParamGroup, type ParamGroupSpec } from './optimizer.js';
export { AdamW, type AdamWOptions, type OptimizerTensor } from './adamw.js';
export { SGD, type SGDOptions } from './sgd.js';
export { clipGradNorm, cosineLr, cosineSchedule, type CosineScheduleOptions } from './schedule.js';
