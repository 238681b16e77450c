/**
 * sparsify(): dense layers pruned by magnitude into CSR (per layer, global
 * threshold, SET's epsilon) or N:M; the output layer stays dense unless
 * asked; the result fine-tunes with SET evolution on both backends.
 */
import { expect, test } from 'vitest';
import { DenseLinear, DenseMatrix, InvalidArgumentError, Sequential, relu, set, softmax, syntheticClassification, type Engine } from '../../src/index.js';
import { sparsify } from '../../src/interop.js';
import { CSRMatrix } from '../../src/formats/csr.js';
import { NMMatrix } from '../../src/formats/nm.js';
import { decodeModel, type LayerSnapshot } from '../../src/model/model-file.js';
import { cpuEngine, describeBackends } from '../helpers/engines.js';

const bias = (n: number) => Float32Array.from({ length: n }, (_, k) => 0.01 * k);
function denseModel(engine: Engine): Sequential {
  return new Sequential(engine, [
    new DenseLinear({ in: 24, out: 20, weights: DenseMatrix.random(20, 24, { seed: 1 }), bias: bias(20) }),
    relu(),
    new DenseLinear({ in: 20, out: 16, weights: DenseMatrix.random(16, 20, { seed: 2, lo: -3, hi: 3 }), bias: bias(16) }),
    relu(),
    new DenseLinear({ in: 16, out: 4, weights: DenseMatrix.random(4, 16, { seed: 3 }), bias: bias(4) }),
    softmax(),
  ]);
}

async function layersOf(model: Sequential): Promise<LayerSnapshot[]> {
  return decodeModel(await model.save()).layers;
}

/** Every kept |w| is at least every dropped |w| (over the given dense/sparse pairs), and kept values are unchanged. */
function expectMagnitudePruned(pairs: Array<{ dense: DenseMatrix; sparse: CSRMatrix }>): void {
  let minKept = Infinity;
  let maxDropped = 0;
  for (const { dense, sparse } of pairs) {
    const kept = sparse.toDense().data;
    for (let k = 0; k < dense.data.length; k++) {
      const inCsr = kept[k] !== 0;
      if (inCsr) {
        expect(kept[k]).toBe(dense.data[k]);
        minKept = Math.min(minKept, Math.abs(dense.data[k]!));
      } else maxDropped = Math.max(maxDropped, Math.abs(dense.data[k]!));
    }
  }
  expect(minKept).toBeGreaterThanOrEqual(maxDropped);
}

describeBackends('sparsify', (engine, backend) => {
  test('density per layer: the largest 10 % of each hidden layer, output layer dense, biases kept', async () => {
    const model = denseModel(engine());
    const sparse = await sparsify(model, { density: 0.1 });
    try {
      const [a, , b, , c] = await layersOf(model);
      const [x, , y, , z] = await layersOf(sparse);
      expect([x!.kind, y!.kind, z!.kind]).toEqual(['sparse-linear', 'sparse-linear', 'dense-linear']);
      const pairs = [
        { dense: (a as { W: DenseMatrix }).W, sparse: (x as { W: CSRMatrix }).W },
        { dense: (b as { W: DenseMatrix }).W, sparse: (y as { W: CSRMatrix }).W },
      ];
      expect(pairs.map((p) => p.sparse.nnz)).toEqual([48, 32]);
      for (const p of pairs) expectMagnitudePruned([p]);
      expect(z).toEqual(c);
      expect((x as { bias: Float32Array }).bias).toEqual(bias(20));
      // The original is untouched.
      expect((await layersOf(model))[0]!.kind).toBe('dense-linear');
    } finally {
      model.dispose();
      sparse.dispose();
    }
  });

  test('one global threshold: layers keep different shares, 10 % overall', async () => {
    const model = denseModel(engine());
    const sparse = await sparsify(model, { density: 0.1 }, { scope: 'global', includeLast: true });
    try {
      const before = await layersOf(model);
      const after = await layersOf(sparse);
      const pairs = [0, 2, 4].map((i) => ({ dense: (before[i] as { W: DenseMatrix }).W, sparse: (after[i] as { W: CSRMatrix }).W }));
      expect(pairs.reduce((s, p) => s + p.sparse.nnz, 0)).toBe(Math.round(0.1 * (480 + 320 + 64)));
      expectMagnitudePruned(pairs);
      // The middle layer's weights are three times larger: it keeps a larger share.
      expect(pairs[1]!.sparse.nnz / 320).toBeGreaterThan(pairs[0]!.sparse.nnz / 480);
    } finally {
      model.dispose();
      sparse.dispose();
    }
  });

  test("SET's epsilon density and 2:4", async () => {
    const model = denseModel(engine());
    const er = await sparsify(model, { epsilon: 2 });
    const nm = await sparsify(model, { n: 2, m: 4 });
    try {
      const before = await layersOf(model);
      expect(((await layersOf(er))[0] as { W: CSRMatrix }).W.nnz).toBe(Math.round(((2 * (20 + 24)) / 480) * 480));
      const [first, , second, , last] = await layersOf(nm);
      expect(first!.kind).toBe('nm-linear');
      expect((first as { W: NMMatrix }).W).toEqual(NMMatrix.pruneDense((before[0] as { W: DenseMatrix }).W, { n: 2, m: 4 }));
      expect(second!.kind).toBe('nm-linear');
      expect(last!.kind).toBe('dense-linear');
    } finally {
      for (const m of [model, er, nm]) m.dispose();
    }
  });

  test('the result fine-tunes with SET evolution', async () => {
    const data = syntheticClassification({ count: 256, features: 24, classes: 4, seed: 7 });
    const model = denseModel(engine());
    await model.fit(data, { epochs: 3, batchSize: 32, seed: 1 });
    const sparse = await sparsify(model, { density: 0.25 });
    try {
      const pruned = await sparse.evaluate(data);
      const history = await sparse.fit(data, { epochs: 3, batchSize: 32, evolution: set({ zeta: 0.3 }), seed: 2 });
      const tuned = await sparse.evaluate(data);
      console.log(`[interop] ${backend} sparsify 25 %: accuracy ${(await model.evaluate(data)).accuracy.toFixed(3)} dense, ${pruned.accuracy.toFixed(3)} pruned, ${tuned.accuracy.toFixed(3)} after 3 SET epochs`);
      expect(history.epochs).toHaveLength(3);
      expect(tuned.loss).toBeLessThan(pruned.loss);
      // SET keeps the count of connections.
      expect(((await layersOf(sparse))[0] as { W: CSRMatrix }).W.nnz).toBe(120);
    } finally {
      model.dispose();
      sparse.dispose();
    }
  });
});

test('bad targets are refused by name', async () => {
  const engine = await cpuEngine();
  const model = denseModel(engine);
  try {
    await expect(sparsify(model, { density: 0 })).rejects.toThrow(/target\.density: must be in \(0, 1\]/);
    await expect(sparsify(model, { density: 0.5, epsilon: 2 } as never)).rejects.toThrow(InvalidArgumentError);
    await expect(sparsify(model, { n: 2, m: 3 })).rejects.toThrow(/m/);
    await expect(sparsify(model, { epsilon: 2 }, { scope: 'global' })).rejects.toThrow(/global/);
    const odd = new Sequential(engine, [new DenseLinear({ in: 6, out: 4 }), relu(), new DenseLinear({ in: 4, out: 2 })]);
    await expect(sparsify(odd, { n: 2, m: 4 })).rejects.toThrow(/6 inputs, not a multiple of m = 4/);
    const one = new Sequential(engine, [new DenseLinear({ in: 6, out: 4 })]);
    await expect(sparsify(one, { density: 0.5 })).rejects.toThrow(/no dense layer to sparsify/);
    odd.dispose();
    one.dispose();
  } finally {
    model.dispose();
    engine.dispose();
  }
});
