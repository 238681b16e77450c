#!/usr/bin/env node
// `npm run bench`: starts the benchmark in a child process whose environment
// points Dawn at SwiftShader when the machine has no GPU (the Vulkan loader
// reads it at process start), then runs bench/cli.ts through Vite's SSR
// loader so the WGSL `?raw` imports resolve exactly as in the library build.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { swiftshaderEnv } from './gpu-env.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

if (process.env.WGSPARSE_BENCH_CHILD !== '1') {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    env: { ...process.env, ...swiftshaderEnv(), WGSPARSE_BENCH_CHILD: '1' },
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  const { createServer } = await import('vite');
  const server = await createServer({
    root,
    configFile: resolve(root, 'vite.config.ts'),
    server: { middlewareMode: true, hmr: false, ws: false },
    appType: 'custom',
    logLevel: 'warn',
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  let code = 1;
  try {
    const cli = await server.ssrLoadModule('/bench/cli.ts');
    code = await cli.main(process.argv.slice(2));
  } catch (e) {
    console.error(e instanceof Error ? e.stack : e);
  } finally {
    await server.close();
  }
  // Dawn keeps the process alive while its instance exists.
  process.exit(code);
}
