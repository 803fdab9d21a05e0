// The browser page: a static bundle (no server logic) built from web/ into web/dist/. Workers are bundled as ES
// modules. The headers make the page cross-origin isolated, which SharedArrayBuffer (the engine's threads) needs;
// a host that cannot send them still serves a working page, on one thread.
import { defineConfig } from 'vite';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

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
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation, port: 4173, strictPort: false },
});
