import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // The engine's Node side (OpenBLAS, worker threads), configured from the environment as the CLI does.
    setupFiles: ['test/setup-engine.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tests spawn PyTorch and the CLI; two workers match the two cores.
    maxWorkers: 2,
    // Two workers already fill the two cores; OpenBLAS threads on top would only contend.
    env: { OPENBLAS_NUM_THREADS: '1' },
  },
});
