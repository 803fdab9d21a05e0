// The training engine: tensors, autograd, ops, layers, initializers, optimizers.
export { Tensor, empty, zeros, ones, full, tensor, parameter, shapeSize, shapeStr, type Shape, type Node } from './tensor.js';
export { BufferPool, pool, tidy, scratch, track, inScope, type PoolStats } from './pool.js';
export { backward, noGrad, isGradEnabled, gradOf, record, needsGrad } from './autograd.js';
export * from './ops/index.js';
export { Module, ModuleList, type LoadResult, type StateValue } from './module.js';
export { Linear, LayerNorm, LayerNorm2d, Conv2d, Mlp, DropPath } from './nn.js';
export * as init from './init.js';
export { Rng } from './random.js';
export { erf, erfc } from './erf.js';
export * from './optim/index.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';
export { saveModel, loadModel, readStateDict, type SaveOptions } from './serialize.js';
export { initParallel, parallelInfo, setParallelThreshold } from './parallel.js';
