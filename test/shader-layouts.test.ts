/**
 * Declared layouts (src/gpu/layout.ts): every program's uniforms, bindings
 * and shared consts are declared once in kernels/programs.ts and written into
 * its WGSL, and dispatches name them. These tests hold each shader's own
 * source against its declaration, check the writer and the by-name lookups,
 * and check that a fragment's functions are included, not copied. Fixtures
 * show each check failing on a deliberate mismatch.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { fragments, programs, tracePrograms } from '../kernels/programs.js';
import { bindingsByNumber, declareLayout, layoutMismatches, layoutWgsl, uniformBytes, type BindingBuffers, type UniformValues } from '../src/gpu/layout.js';
import { specializeShader, type ShaderProgram } from '../src/gpu/program.js';

const all = [...Object.values(programs), ...Object.values(tracePrograms)] as ShaderProgram[];

const fixture = declareLayout({
  consts: { THREADS: 64 },
  uniforms: { rows: 'u32', alpha: 'f32' },
  bindings: { X: 'r f32', Y: 'rw vec4f', hist: 'rw atomic<u32>[4]' },
});

const agreeing = `
@compute @workgroup_size(THREADS)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < params.rows) { Y[id.x] = vec4f(params.alpha * X[id.x]); atomicAdd(&hist[0], 1u); }
}`;

describe('every shader agrees with its declared layout', () => {
  test.each(all.map((p) => [p.key, p] as const))('%s', (_key, program) => {
    expect(layoutMismatches(program.source(), program.layout)).toEqual([]);
  });

  test('the check reads what it checks: the agreeing fixture passes, each mismatch is named', () => {
    expect(layoutMismatches(agreeing, fixture)).toEqual([]);
    // A uniform renamed on one side only.
    expect(layoutMismatches(agreeing.replace('params.rows', 'params.rowz'), fixture)).toEqual([
      'uniform rows is declared but not read',
      'reads params.rowz, which is not declared',
    ]);
    // A binding the shader stopped using, and one written by hand.
    expect(layoutMismatches(agreeing.replace('atomicAdd(&hist[0], 1u);', ''), fixture)).toEqual(['binding hist is declared but not used']);
    expect(layoutMismatches(`@group(0) @binding(4) var<storage, read> extra: array<f32>;\n${agreeing}`, fixture)).toEqual([
      'declares a @binding by hand (declare it in the layout)',
    ]);
    expect(layoutMismatches(`struct Params { rows: u32, alpha: f32 }\n${agreeing}`, fixture)).toEqual([
      'declares its uniforms by hand (declare them in the layout)',
    ]);
    // A workgroup size kept in step by hand again.
    expect(layoutMismatches(`const THREADS: u32 = 64u;\n${agreeing}`, fixture)).toEqual(['const THREADS is declared in the layout and again in the shader']);
    // Names in comments are not uses.
    expect(layoutMismatches(agreeing.replace('params.alpha * X[id.x]', '1.0 /* X */'), fixture)).toEqual([
      'uniform alpha is declared but not read',
      'binding X is declared but not used',
    ]);
  });
});

describe('the layout writer and the by-name lookups', () => {
  test('bindings are numbered in declaration order after the uniforms at 0; consts and fields as declared', () => {
    expect(layoutWgsl(fixture).split('\n').slice(1, -1)).toEqual([
      'const THREADS: u32 = 64u;',
      'struct Params {',
      '  rows: u32,',
      '  alpha: f32,',
      '}',
      '@group(0) @binding(0) var<uniform> params: Params;',
      '@group(0) @binding(1) var<storage, read> X: array<f32>;',
      '@group(0) @binding(2) var<storage, read_write> Y: array<vec4f>;',
      '@group(0) @binding(3) var<storage, read_write> hist: array<atomic<u32>, 4>;',
    ]);
  });

  test('uniforms are written by name at their declared offsets and types; missing fields are 0', () => {
    const bytes = uniformBytes(fixture, { alpha: 0.5, rows: 7 }, 'fixture');
    expect(bytes.byteLength).toBe(16);
    expect(new Uint32Array(bytes)[0]).toBe(7);
    expect(new Float32Array(bytes)[1]).toBe(0.5);
    expect(new Uint32Array(uniformBytes(fixture, { alpha: 2 }, 'fixture'))[0]).toBe(0);
  });

  test('a uniform or binding name the layout does not declare is refused, naming the shader and the declared names', () => {
    expect(() => uniformBytes(fixture, { rowz: 7 } as UniformValues<typeof fixture>, 'fixture')).toThrow(
      "fixture: uniform 'rowz' is not declared (declared: rows, alpha)",
    );
    const buffer = {} as GPUBuffer;
    expect(() => bindingsByNumber(fixture, undefined, { Z: buffer } as BindingBuffers<typeof fixture>, 'fixture')).toThrow(
      "fixture: binding 'Z' is not declared (declared: X, Y, hist)",
    );
    // By name to by number: params at 0, then the declaration order; unnamed bindings stay unbound.
    const params = {} as GPUBuffer;
    expect(bindingsByNumber(fixture, params, { hist: buffer }, 'fixture')).toEqual([params, undefined, undefined, buffer]);
  });

  test('the compiler holds dispatch sites to the declared names', () => {
    // @ts-expect-error: 'rowz' is not a uniform of the fixture.
    const badUniform: UniformValues<typeof fixture> = { rowz: 1 };
    // @ts-expect-error: 'Z' is not a binding of the fixture.
    const badBinding: BindingBuffers<typeof fixture> = { Z: {} as GPUBuffer };
    expect([badUniform, badBinding]).toHaveLength(2);
  });
});

describe('fragments are included, not copied', () => {
  const root = resolve(import.meta.dirname, '..');
  const shaderFiles = (dir: string): string[] =>
    readdirSync(join(root, dir)).flatMap((name) => {
      const path = join(dir, name);
      return statSync(join(root, path)).isDirectory() ? shaderFiles(path) : name.endsWith('.wgsl') ? [path] : [];
    });
  const definedFunctions = (source: string) => [...source.matchAll(/^fn\s+(\w+)/gm)].map((m) => m[1]!);

  /** Where a function a fragment defines is defined again: `file: fn`. */
  function copies(files: ReadonlyArray<readonly [string, string]>): string[] {
    const fragmentFns = new Set(Object.values(fragments).flatMap(definedFunctions));
    return files.flatMap(([file, source]) => definedFunctions(source).filter((fn) => fragmentFns.has(fn)).map((fn) => `${file}: ${fn}`));
  }

  test('no shader defines a function a fragment defines', () => {
    const files = shaderFiles('shaders')
      .filter((f) => !f.startsWith(join('shaders', 'fragments')))
      .map((f) => [relative(root, join(root, f)), readFileSync(join(root, f), 'utf8')] as const);
    expect(files.length).toBeGreaterThan(10);
    expect(copies(files)).toEqual([]);
    // The check on a fixture: a copied sortableKey is found.
    expect(copies([['fixture.wgsl', 'fn sortableKey(v: f32) -> u32 { return bitcast<u32>(v); }']])).toEqual(['fixture.wgsl: sortableKey']);
  });

  test('every fragment is included by some program', () => {
    const sources = all.map((p) => p.source());
    // As a program without flags includes it (fragments are specialised too: the GEMM tile's TRACE lines).
    for (const [name, text] of Object.entries(fragments)) expect(sources.some((s) => s.includes(specializeShader(text))), name).toBe(true);
  });
});
