#!/usr/bin/env node
// `npm run bench` / `npm run train`: starts a program in a child process whose
// environment points Dawn at SwiftShader when the machine has no GPU (the
// Vulkan loader reads it at process start), then runs it (bench/cli.ts, or the
// module named by a leading --entry=/bench/….ts) through Vite's SSR loader so
// the WGSL `?raw` imports resolve exactly as in the library build.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { swiftshaderEnv } from './gpu-env.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entryFlag = process.argv[2]?.startsWith('--entry=') ? process.argv[2] : undefined;
const entry = entryFlag ? entryFlag.slice('--entry='.length) : '/bench/cli.ts';
const programArgs = process.argv.slice(entryFlag ? 3 : 2);

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
    const cli = await server.ssrLoadModule(entry);
    code = await cli.main(programArgs);
  } catch (e) {
    console.error(e instanceof Error ? e.stack : e);
  } finally {
    await server.close();
  }
  // Dawn keeps the process alive while its instance exists.
  process.exit(code);
}
