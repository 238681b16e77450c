/**
 * The floors of the house (docs/architecture.md): imports point down only,
 * and no import cycle exists, type imports included.
 *
 *   0  src/errors.ts, src/random.ts, src/history.ts, src/options.ts,  the ground
 *      src/formats/
 *   1  src/gpu/                                                      the GPU runtime
 *   2  kernels/ (shaders/ under them)                                one stem per kernel
 *   3  src/engine, src/layers, src/model, src/data, src/sparsity,    the library's top
 *      src/index.ts, src/node.ts
 *   4  bench/, demo/                                                 the apps
 *
 * A file imports only its own floor and those below. The parser reads every
 * static import/export-from (and dynamic import of a literal) in the source;
 * a test below checks it on a fixture so it cannot pass by reading nothing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = resolve(import.meta.dirname, '..');

const FLOORS: Array<[number, RegExp]> = [
  [0, /^src\/(errors|random|history|options|wgsl\.d)\.ts$|^src\/formats\//],
  [1, /^src\/gpu\//],
  [2, /^kernels\/|^shaders\//],
  [3, /^src\//],
  [4, /^(bench|demo)\//],
];

function floorOf(file: string): number {
  for (const [floor, pattern] of FLOORS) if (pattern.test(file)) return floor;
  throw new Error(`${file} belongs to no floor: add it to FLOORS and docs/architecture.md`);
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const IMPORT = /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The project-relative files a source imports (relative specifiers only; packages are not floors). */
export function importsOf(file: string, source: string): string[] {
  const out: string[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2]!;
    if (!spec.startsWith('.')) continue;
    const target = relative(root, resolve(root, dirname(file), spec.replace(/\?raw$/, '')));
    out.push(target.replace(/\.js$/, '.ts'));
  }
  return out;
}

const files = ['src', 'kernels', 'bench', 'demo'].flatMap(sourceFiles);
const graph = new Map(files.map((file) => [file, importsOf(file, readFileSync(join(root, file), 'utf8'))]));

/** Strongly connected components of more than one file (or a file importing itself): the cycles. */
function cycles(edges: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || edges.get(v)!.includes(v)) found.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('the import graph', () => {
  test('the parser sees every form of import (fixture)', () => {
    const fixture = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "export type { D } from './d.js';",
      "import e from '../../shaders/e.wgsl?raw';",
      "import './f.js';",
      "const g = await import('./g.js');",
      "import {\n  h,\n  type H,\n} from './h.js';",
      "import { x } from 'vitest';",
    ].join('\n');
    expect(importsOf('src/model/x.ts', fixture)).toEqual([
      'src/model/a.ts',
      'src/b.ts',
      'src/model/c.ts',
      'src/model/d.ts',
      'shaders/e.wgsl',
      'src/model/f.ts',
      'src/model/g.ts',
      'src/model/h.ts',
    ]);
  });

  test('it reads the whole house', () => {
    expect(files.length).toBeGreaterThan(100);
    const edges = [...graph.values()].reduce((n, list) => n + list.length, 0);
    expect(edges).toBeGreaterThan(300);
  });

  test('no import cycle, type imports included', () => {
    expect(cycles(graph)).toEqual([]);
  });

  test('every import points to its own floor or one below', () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      for (const target of targets) if (floorOf(target) > floorOf(file)) upward.push(`${file} (floor ${floorOf(file)}) imports ${target} (floor ${floorOf(target)})`);
    }
    expect(upward).toEqual([]);
  });

  test('kernels import only the ground, the GPU runtime and each other', () => {
    for (const [file, targets] of graph) {
      if (floorOf(file) !== 2) continue;
      for (const target of targets) expect([0, 1, 2], `${file} imports ${target}`).toContain(floorOf(target));
    }
  });

  test('src/index.ts exports only from src/', () => {
    for (const target of graph.get('src/index.ts')!) expect(target, 'src/index.ts re-exports from outside src/').toMatch(/^src\//);
  });
});
