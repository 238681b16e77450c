import { defineConfig } from 'vite';

// `npm run bench:bundle`: bench/main.ts and everything it imports (wgsparse,
// tfjs, mathjs, the WGSL) in one file, .gpu/bench/main.js; only `webgpu`
// (Dawn's native addon) stays external and must sit beside it in node_modules.
export default defineConfig({
  build: {
    ssr: 'bench/main.ts',
    outDir: '.gpu/bench',
    emptyOutDir: true,
    target: 'node20',
    rollupOptions: { external: ['webgpu'], output: { format: 'es', entryFileNames: 'main.js' } },
  },
  ssr: { noExternal: true, external: ['webgpu'] },
  logLevel: 'warn',
});
