// A helper thread of the engine's thread pool: serves kernels on shared memory for the training worker.
import { serveKernels, type HelperMessage } from '../../../src/engine/index.js';

serveKernels((handler) => { self.onmessage = (e: MessageEvent<HelperMessage>) => handler(e.data); }, (text) => console.error(`wsel helper thread: ${text}`));
