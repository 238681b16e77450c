/**
 * N:M evolution inside groups: GPU (in place, nothing read back) equals the
 * CPU twin; the layer stays N:M with n distinct sorted positions per group;
 * kept weights keep value and velocity; ζ selects the weakest groups.
 */
import { describe, expect, test } from 'vitest';
import { nmEvolve } from '../../kernels/set/nm-evolve.js';
import { DenseMatrix, NMLinear, NMMatrix, type Engine } from '../../src/index.js';
import { expectClose } from '../helpers/reference.js';
import { adapterName, cpuEngine, gpuEngine } from '../helpers/engines.js';

const gpu = await gpuEngine();
const cpu = await cpuEngine();

function groupsOf(W: NMMatrix): Array<Array<{ p: number; v: number }>> {
  const out: Array<Array<{ p: number; v: number }>> = [];
  for (let g = 0; g < W.nnz / W.n; g++) out.push(Array.from({ length: W.n }, (_, t) => ({ p: W.slotPosition(g * W.n + t), v: W.values[g * W.n + t]! })));
  return out;
}

describe(`NMLinear.evolve on WebGPU (${adapterName(gpu)}) and the CPU`, () => {
  for (const [n, m] of [
    [2, 4],
    [1, 4],
    [2, 8],
    [3, 8],
  ] as Array<[number, number]>) {
    test(`${n}:${m}: same layer on both backends, still N:M, ~ζ of groups changed`, async () => {
      const layers = [new NMLinear({ in: 64, out: 40, n, m, seed: 7 }), new NMLinear({ in: 64, out: 40, n, m, seed: 7 })] as const;
      const engines: Engine[] = [gpu, cpu];
      layers.forEach((l, i) => l.attach(engines[i]!));
      const before = await layers[1].weights();
      await Promise.all(layers.map((l) => l.evolve({ zeta: 0.3, seed: 5 })));
      const [g, c] = await Promise.all(layers.map((l) => l.weights()));
      expect(g!.indices).toEqual(c!.indices);
      expect(g!.values).toEqual(c!.values);
      // Still a valid N:M matrix (the constructor checks increasing positions per group).
      const after = new NMMatrix({ rows: 40, cols: 64, n, m, values: g!.values, indices: g!.indices });
      const groupsBefore = groupsOf(before);
      const groupsAfter = groupsOf(after);
      let changed = 0;
      groupsAfter.forEach((slots, k) => {
        const old = groupsBefore[k]!;
        const same = slots.every((s, t) => s.p === old[t]!.p && s.v === old[t]!.v);
        if (!same) {
          changed++;
          // Exactly one weight replaced: n − 1 of the old (position, value) pairs survive.
          const survivors = slots.filter((s) => old.some((o) => o.p === s.p && o.v === s.v)).length;
          expect(survivors).toBe(n - 1);
        }
      });
      const groups = groupsBefore.length;
      // Regrowing at the dropped position with the same value never happens (new values are random).
      expect(changed).toBeGreaterThan(0.25 * groups);
      expect(changed).toBeLessThanOrEqual(Math.floor(0.3 * groups));
      // The backward pass follows the new mask (on the GPU through the transpose index rebuilt there).
      // Batch 5 takes the scalar gather, batch 8 the vec4 one.
      for (const batch of [5, 8]) {
        const X = DenseMatrix.random(64, batch, { seed: 3 });
        const dY = DenseMatrix.random(40, batch, { seed: 4 });
        const [dg, dc] = await Promise.all(layers.map((l) => l.backward(X, dY)));
        const naive = new Float64Array(64 * batch);
        const scale = new Float64Array(64 * batch);
        for (let k = 0; k < after.nnz; k++) {
          const r = Math.floor(k / after.slotsPerRow);
          const c = after.slotColumn(k);
          for (let b = 0; b < batch; b++) {
            naive[c * batch + b]! += after.values[k]! * dY.data[r * batch + b]!;
            scale[c * batch + b]! += Math.abs(after.values[k]! * dY.data[r * batch + b]!);
          }
        }
        expectClose(dg!.data, naive, scale, `dX (WebGPU, batch ${batch})`);
        expectClose(dc!.data, naive, scale, `dX (CPU, batch ${batch})`);
      }
      layers.forEach((l) => l.dispose());
    });
  }

  test('ζ = 0 changes nothing; ζ = 1 changes every group', () => {
    const W = NMMatrix.random({ rows: 10, cols: 16, n: 2, m: 4, seed: 1 });
    const v = new Float32Array(W.nnz);
    expect(nmEvolve.cpu(W, v, 0, 1, 0.1).groups).toBe(0);
    expect(nmEvolve.cpu(W, v, 1, 1, 0.1).groups).toBe(40);
  });

  test('velocity follows kept weights and starts at zero for new ones (CPU twin)', () => {
    const W = NMMatrix.random({ rows: 8, cols: 16, n: 2, m: 4, seed: 2 });
    const velocity = Float32Array.from(W.values, (x) => x * 10);
    const r = nmEvolve.cpu(W, velocity, 0.5, 3, 0.1);
    let fresh = 0;
    r.W.values.forEach((x, k) => {
      if (r.velocity[k] === 0) fresh++;
      else expect(r.velocity[k]).toBe(Math.fround(x * 10));
    });
    expect(fresh).toBe(r.groups);
  });
});
