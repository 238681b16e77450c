import { defineConfig } from 'vite';
import { watModules } from '../kernels/wasm/wat-plugin.js';

// `npm run bench:bundle`: the benchmark (bench/main.ts), the training CLI
// (bench/train-main.ts) and the kernel-profile comparison
// (bench/profiles-main.ts) with everything they import (wgsparse, tfjs,
// mathjs, the WGSL) as ESM files in .gpu/bench/ that run with plain `node`; only
// `webgpu` (Dawn's native addon) stays external and must sit in a
// node_modules beside them. bench/gpu/prepare.sh packs them for a lent GPU.
export default defineConfig({
  plugins: [watModules()],
  build: {
    ssr: true,
    outDir: '.gpu/bench',
    emptyOutDir: true,
    target: 'node20',
    rollupOptions: {
      input: { main: 'bench/main.ts', train: 'bench/train-main.ts', profiles: 'bench/profiles-main.ts' },
      external: ['webgpu'],
      output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    },
  },
  ssr: { noExternal: true, external: ['webgpu'] },
  logLevel: 'warn',
});
