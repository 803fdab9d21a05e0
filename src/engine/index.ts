// The training engine: tensors, autograd, ops, layers, initializers, optimizers, matrix-product
// backends and the thread pool. Everything exported here is portable (Node and browsers); the Node
// side (OpenBLAS addon, worker threads, files) is in ./node/.
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
export {
  sgemm, sgemmBatched, blasBackend, setBlasThreads, useBlas, setBlasChooser, wasmBackend, typescriptBackend,
  type BlasBackend, type BlasName, type GemmBackend,
} from './blas.js';
export { wasmKernelBytes } from './gemm/wasm.js';
export {
  configureThreads, initThreads, threadsInfo, activeThreads, setParallelThreshold, parallelFor,
  type ThreadPlatform, type HelperThread, type ThreadsInfo,
} from './threads/pool.js';
export { serveKernels } from './threads/serve.js';
export type { HelperMessage } from './threads/protocol.js';
export { startProfile, stopProfile, markProfile, type ProfileReport, type OpTime } from './profile.js';
