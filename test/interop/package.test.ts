/**
 * wgsparse/interop as a consumer meets it: the exports map (types@<6 first,
 * as for ./node), the built entry through `import 'wgsparse/interop'`, and a
 * main bundle that carries no protobuf code (only the interop entry does).
 * Like test/package.test.ts, it reads the build (`npm run build` first).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, test } from 'vitest';
import { projectRoot, runAsConsumer } from '../helpers/consumer.js';

const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
  exports: Record<string, Record<string, string>>;
  dependencies: Record<string, string>;
};

test('the exports map has ./interop like ./node: types@<6, types, import, each file present', () => {
  const entry = pkg.exports['./interop']!;
  expect(Object.keys(entry)).toEqual(Object.keys(pkg.exports['./node']!));
  expect(entry).toEqual({ 'types@<6': './types/ts5/interop.d.ts', types: './dist/types/src/interop.d.ts', import: './dist/interop.js' });
  for (const file of Object.values(entry)) expect(existsSync(join(projectRoot, file)), file).toBe(true);
  expect(readFileSync(join(projectRoot, entry['types@<6']!), 'utf8')).toContain("export * from '../../dist/types/src/interop.js'");
});

/** The files a bundle loads: itself and the chunks it imports, transitively. */
function closure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  for (const m of source.matchAll(/from\s+"(\.\/[^"]+)"/g)) closure(join(dirname(file), m[1]!), seen);
  return seen;
}

test('the main entry loads no protobuf code; the interop entry does', () => {
  const main = closure(join(projectRoot, pkg.exports['.']!.import!));
  const interop = closure(join(projectRoot, pkg.exports['./interop']!.import!));
  const protobuf = (files: Set<string>) => [...files].some((f) => readFileSync(f, 'utf8').includes('google.protobuf.FileDescriptorProto'));
  expect(protobuf(main)).toBe(false);
  expect(protobuf(interop)).toBe(true);
  const bytes = (files: Set<string>) => [...files].reduce((s, f) => s + readFileSync(f).length, 0);
  console.log(`[interop] main entry ${bytes(main)} bytes in ${main.size} files; wgsparse/interop adds ${bytes(interop) - bytes(new Set([...interop].filter((f) => main.has(f))))} bytes`);
  // The protobuf runtime is bundled into dist/interop.js, so consumers need no extra dependency.
  expect(Object.keys(pkg.dependencies)).not.toContain('@bufbuild/protobuf');
});

test("a consumer exports to ONNX and safetensors and imports back through 'wgsparse/interop'", () => {
  const out = runAsConsumer(`
import { createEngine, Sequential, SparseLinear, NMLinear, relu, softmax } from 'wgsparse';
import { exportOnnx, exportSafetensors, importOnnx, importSafetensors, InteropFormatError } from 'wgsparse/interop';
const engine = await createEngine({ backend: 'cpu' });
const model = new Sequential(engine, [new SparseLinear({ in: 8, out: 12, density: 0.3 }), relu(), new NMLinear({ in: 12, out: 4 }), softmax()]);
const onnx = await exportOnnx(model);
const st = await exportSafetensors(model);
const a = importOnnx(engine, onnx);
const b = importSafetensors(engine, st);
const same = (x, y) => x.length === y.length && x.every((v, i) => v === y[i]);
console.log(same(await exportOnnx(a), onnx), same(await exportSafetensors(b), st), a.layers.length);
try { importOnnx(engine, onnx.subarray(0, 20)); } catch (e) { console.log(e instanceof InteropFormatError, e.reason); }
`);
  expect(out).toEqual(['true true 4', 'true truncated']);
});
