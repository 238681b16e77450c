// The SET evolution model's dependent steps (bench/model/evolution.ts)
// against the shaders' own count (bench/model/wgsl-steps.ts: every dispatch
// of a real evolveResident on SwiftShader, run with its steps variant),
// dispatch by dispatch, on both kernel profiles.
import { describe, expect, it } from 'vitest';
import { modelEvolution, type EvolutionDispatch } from '../bench/model/evolution.js';
import { countedSource, traceEvolutionSteps, type StepsDispatch } from '../bench/model/wgsl-steps.js';
import { CSRMatrix } from '../src/index.js';
import { gpuEngine } from './helpers/engines.js';

/** A CSR with rows of the given lengths (columns spread over the row, values that prune unevenly). */
function withRowLengths(cols: number, lengths: readonly number[]): CSRMatrix {
  const rowPtr = new Uint32Array(lengths.length + 1);
  lengths.forEach((n, r) => (rowPtr[r + 1] = rowPtr[r]! + n));
  const colIdx = new Uint32Array(rowPtr[lengths.length]!);
  lengths.forEach((n, r) => {
    for (let i = 0; i < n; i++) colIdx[rowPtr[r]! + i] = Math.floor((i * cols) / n);
  });
  const values = Float32Array.from(colIdx, (_, k) => Math.sin(k * 1.7 + 0.3));
  return new CSRMatrix({ rows: lengths.length, cols, rowPtr, colIdx, values });
}

/** The program a model label names (the scans' levels share two entry points). */
function programOf(label: string): string {
  if (label.endsWith(' scan totals')) return 'scanChunkTotals';
  if (label.endsWith(' scan chunks') || label.endsWith(' scan')) return 'scanChunks';
  return label;
}

function row(t: StepsDispatch | undefined, m: EvolutionDispatch | undefined): string {
  const range = m?.fewest === undefined ? `${m?.steps}` : `${m.fewest}…${m.steps}`;
  return `${m?.label ?? '-'}: model ${range}, trace ${t?.steps ?? '-'} (${t?.program ?? '-'}, ${t?.workgroups ?? '-'}${t?.indirect ? ' indirect' : ''} workgroups)`;
}

const shapes: ReadonlyArray<readonly [string, () => CSRMatrix, boolean]> = [
  // 300 and 200: no multiple of the 256-wide workgroups, 64-value scan chunks or 256-row order blocks; long columns (band-wise transpose).
  ['300×200 at 20 %', () => CSRMatrix.random({ rows: 300, cols: 200, density: 0.2, seed: 3 }), false],
  // One full row, a few long ones, every third row empty: skewed buckets, bisections of very different rows, the sort-path transpose.
  ['skewed and empty rows', () => withRowLengths(190, Array.from({ length: 257 }, (_, r) => (r === 0 ? 190 : r % 3 === 0 ? 0 : r < 12 ? 60 : 3))), true],
  ['nnz small', () => CSRMatrix.random({ rows: 40, cols: 30, density: 0.01, seed: 5 }), false],
  // Long columns with a second optimizer state.
  ['120×20 at 60 %', () => CSRMatrix.random({ rows: 120, cols: 20, density: 0.6, seed: 4 }), true],
];

describe('SET evolution steps: the model (bench/model/evolution.ts) against the WGSL steps variants on SwiftShader', () => {
  it('counts a step at each entry point and loop body, and none in comments', () => {
    const wgsl = '// for (a) { not code\nfn helper() { while (i < n && (x[i] & 1u) == 0u) { i++; } }\n@compute @workgroup_size(THREADS)\nfn main(@builtin(workgroup_id) wid: vec3u) {\n  loop { break; }\n  for (var i = f(0u); i < 3u; i++) { }\n}\n';
    expect(countedSource(wgsl)).toBe(
      '// for (a) { not code\nfn helper() { while (i < n && (x[i] & 1u) == 0u) { traceStep(); i++; } }\n@compute @workgroup_size(THREADS)\nfn main(@builtin(workgroup_id) wid: vec3u) { traceStep();\n  loop { traceStep(); break; }\n  for (var i = f(0u); i < 3u; i++) { traceStep(); }\n}\n',
    );
  });

  for (const [name, make, second] of shapes) {
    it(`${name}: every dispatch's most steps, on both kernel profiles`, async () => {
      const engine = await gpuEngine();
      const W = make();
      for (const profile of ['emulation', 'gpu'] as const) {
        const traced = await traceEvolutionSteps(engine.device!, { W, zeta: 0.3, seed: 11, profile, second });
        const model = modelEvolution(W, 0.3, 11, profile, { training: true, second });
        const table = Array.from({ length: Math.max(traced.length, model.dispatches.length) }, (_, i) => row(traced[i], model.dispatches[i]));
        const context = `${name}, ${profile}:\n${table.join('\n')}`;
        expect(traced.length, context).toBe(model.dispatches.length);
        model.dispatches.forEach((m, i) => {
          const t = traced[i]!;
          const where = `dispatch ${i}: ${row(t, m)}`;
          expect(t.program, where).toBe(programOf(m.label));
          // An indirect dispatch records its bound; the GPU ran the model's count.
          if (!t.indirect) expect(t.workgroups, where).toBe(m.workgroups);
          if (m.fewest === undefined) {
            expect(t.steps, where).toBe(m.steps);
          } else {
            expect(t.steps, where).toBeGreaterThanOrEqual(m.fewest);
            expect(t.steps, where).toBeLessThanOrEqual(m.steps);
          }
        });
        expect(Math.max(...traced.map((t) => t.steps))).toBeLessThanOrEqual(model.maxSerialSteps);
      }
    }, 120_000);
  }
});
