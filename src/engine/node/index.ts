// The engine's Node side: the OpenBLAS backend, worker threads, saving and loading models as files,
// and installNodeEngine(), which picks the first two from the environment.

export { blasRequest, chooseBlas, installNodeEngine, threadRequest } from './install.js';
export { loadOpenBlasAddon, openBlasBackend, type OpenBlasAddon } from './openblas.js';
export { nodeThreads } from './threads.js';
export { saveModel, loadModel, readStateDict, type SaveOptions } from './serialize.js';
