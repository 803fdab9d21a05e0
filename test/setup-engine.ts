// Every test file runs the engine as the CLI does: backend and threads from WSEL_BLAS / WSEL_THREADS.
import { installNodeEngine } from '../src/engine/node/install.js';

installNodeEngine(process.env);
