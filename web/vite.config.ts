// The browser page: a static bundle (no server logic) built from web/ into web/dist/. Workers are bundled as ES
// modules. The headers make the page cross-origin isolated, which SharedArrayBuffer (the engine's threads) needs;
// a host that cannot send them still serves a working page, on one thread.
import { defineConfig } from 'vite';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// The training worker imports training/ and data/ modules whose Node-side functions (file loaders, image decoders)
// it never calls. Those modules and Node's built-ins run nothing at import time; marking them side-effect free lets
// the unused Node code fall out of the bundle (the page's tests check that none is left).
const nodeOnly = /node_modules[\\/](pngjs|jpeg-js)[\\/]|^__vite-browser-external|[\\/]src[\\/].*[\\/]node[\\/]/;
const treeshake = { moduleSideEffects: (id: string) => !nodeOnly.test(id) };

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The engine's WebAssembly modules are inlined as bytes; one chunk per worker is expected to be large.
    chunkSizeWarningLimit: 4096,
  },
  worker: { format: 'es', rollupOptions: { treeshake } },
  server: { headers: isolation },
  preview: { headers: isolation, port: 4173, strictPort: false },
});
