/**
 * The million-neuron run (issue 15, item 5): its options (the Node runner
 * and the page read the same list), the input-focus measure, that the
 * full-size layers are drawn in O(connections) memory, and a scaled-down
 * run end to end on the CPU backend.
 */
import { describe, expect, test } from 'vitest';
import { CSRMatrix, createEngine } from '../src/index.js';
import { OptionError } from '../bench/options-core.js';
import { defaultMillionOptions, parseMillionArgv, parseMillionSearch } from '../bench/million-options.js';
import { inputFocus, millionData, trainMillion } from '../bench/million-run.js';

function optionError(fn: () => unknown): OptionError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OptionError);
    return e as OptionError;
  }
  throw new Error('expected an OptionError');
}

describe('million-neuron options', () => {
  test('the defaults are the full-size run: Leukemia-shaped data, 54,675-500,000-500,000-18', () => {
    const o = parseMillionArgv([]);
    expect([o.samples, o.features, o.classes, o.test]).toEqual([2096, 54_675, 18, 699]);
    expect(o.hidden).toEqual([500_000, 500_000]);
    expect(o.hidden.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1_000_000);
    expect(o.epochs).toBeGreaterThanOrEqual(10);
  });

  test('the command line and the URL read the same options the same way', () => {
    const cli = parseMillionArgv(['--features', '2000', '--hidden', '20000-20000', '--output-density', '0.05', '--epochs', '1', '--data-seed', '9']);
    const page = parseMillionSearch(new URLSearchParams('features=2000&hidden=20000,20000&outputDensity=0.05&epochs=1&dataSeed=9'));
    expect(page.errors).toEqual([]);
    expect({ ...page.options, autorun: false }).toEqual(cli);
    expect(cli).toEqual({ ...defaultMillionOptions(), features: 2000, hidden: [20_000, 20_000], outputDensity: 0.05, epochs: 1, dataSeed: 9 });
  });

  test('bad values name their option', () => {
    expect(optionError(() => parseMillionArgv(['--hidden', '0'])).option).toBe('hidden');
    expect(optionError(() => parseMillionArgv(['--hidden', '1-2-3-4'])).option).toBe('hidden');
    expect(optionError(() => parseMillionArgv(['--test', '3000'])).option).toBe('test');
    expect(optionError(() => parseMillionArgv(['--features', '100', '--informative', '200'])).option).toBe('informative');
    expect(optionError(() => parseMillionArgv(['--epsilon', '0'])).option).toBe('epsilon');
    expect(optionError(() => parseMillionArgv(['--autorun'])).option).toBe('--autorun');
    const { errors, options } = parseMillionSearch(new URLSearchParams('hidden=x&baseline=64&epochs=2'));
    expect(errors.map((e) => e.option)).toEqual(['hidden', 'baseline']);
    expect(options.hidden).toEqual([500_000, 500_000]);
    expect(options.epochs).toBe(2);
  });
});

test('inputFocus averages the connections of the informative inputs and of the rest', () => {
  const perInput = Uint32Array.of(4, 0, 2, 10, 4);
  const focus = inputFocus(perInput, Uint32Array.of(1, 3));
  expect(focus.informativeMean).toBe(5);
  expect(focus.otherMean).toBeCloseTo(10 / 3, 12);
  expect(focus.informativeShare).toBe(0.5);
});

test('the 500,000 × 54,675 input layer (27 G cells) is drawn in memory proportional to its connections', () => {
  const before = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  const W = CSRMatrix.random({ rows: 500_000, cols: 54_675, epsilon: 10, seed: 3 });
  const seconds = (performance.now() - started) / 1000;
  const grown = process.memoryUsage().arrayBuffers - before;
  // ε(in + out) expected connections: 5,546,750 (binomial spread ~0.05 %).
  expect(Math.abs(W.nnz - 10 * (500_000 + 54_675)) / (10 * 554_675)).toBeLessThan(0.005);
  // rowPtr + colIdx + values (+ the per-row counts while drawing), nothing of rows × cols.
  const own = (W.rows + 1) * 4 + W.nnz * 8;
  expect(grown).toBeLessThan(own + W.rows * 4 + 16 * 2 ** 20);
  expect(seconds).toBeLessThan(60);
}, 120_000);

test('a scaled-down run trains on the CPU backend: evaluates every epoch, stays sparse, beats chance', async () => {
  const o = { ...defaultMillionOptions(), samples: 500, test: 150, features: 600, informative: 100, signal: 2, hidden: [3000, 3000], outputDensity: 0.2, epochs: 3 };
  const data = millionData(o);
  expect(data.train.count).toBe(350);
  const engine = await createEngine({ backend: 'cpu' });
  try {
    const batches: number[] = [];
    const run = await trainMillion(engine, o, data, { variant: 'set-csr', hidden: o.hidden, epochs: o.epochs, lr: o.lr }, { onBatch: (_e, b) => void batches.push(b) });
    expect(run.complete).toBe(true);
    expect(run.layers).toEqual([600, 3000, 3000, 18]);
    expect(run.hiddenNeurons).toBe(6000);
    expect(run.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(batches).toHaveLength(3 * Math.ceil(350 / 32));
    expect(run.layerSummaries.map((l) => l.connections).reduce((a, b) => a + b, 0)).toBeLessThan(0.05 * (600 * 3000 + 3000 * 3000 + 3000 * 18));
    expect(run.layerSummaries[2]!.density).toBeCloseTo(0.2, 1);
    // Chance is 1/18 ≈ 5.6 %; bench/million.ts with these options measured 69 %, 98 %, 100 % after epochs 1–3.
    expect(run.finalTestAccuracy!).toBeGreaterThan(0.6);
  } finally {
    engine.dispose();
  }
}, 120_000);
