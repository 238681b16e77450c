import { defineConfig } from 'vitest/config';
import { swiftshaderEnv } from './bench/gpu-env.mjs';

// One config: `vite build` makes the library (WGSL inlined through ?raw),
// `vite` serves the demo and e2e pages, `vitest` runs the unit tests.
export default defineConfig({
  build: {
    lib: { entry: { wgsparse: 'src/index.ts', node: 'src/node.ts' }, formats: ['es'], fileName: (_format, name) => `${name}.js` },
    outDir: 'dist',
    target: 'es2022',
    sourcemap: true,
    rollupOptions: { external: ['webgpu', /^node:/] },
  },
  server: { port: 5173, strictPort: true },
  test: {
    include: ['test/**/*.test.ts'],
    // dawn.node gave a null adapter under worker threads; forks work.
    pool: 'forks',
    env: swiftshaderEnv(),
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
