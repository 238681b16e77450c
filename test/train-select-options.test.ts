/**
 * `npm run train -- --task select`: the QuickSelection authors' settings are
 * the defaults (one hidden layer of 1,000, ε 13, ζ 0.2, dropout 0.2, SGD
 * 0.01 / 0.9 / 1e-5, batch 100, 100 epochs, standardised inputs), explicit
 * options still win, the presets keep their epoch budgets, and an
 * autoencoder with more than one hidden layer is refused naming --hidden.
 */
import { describe, expect, test } from 'vitest';
import { parseTrainArgv } from '../bench/train-options.js';
import { QUICK_SELECTION_SETTINGS } from '../src/index.js';

describe('--task select', () => {
  test("the authors' settings as defaults; explicit options win", () => {
    const o = parseTrainArgv(['--task', 'select', '--k', '50']);
    const q = QUICK_SELECTION_SETTINGS;
    expect(o).toMatchObject({ task: 'select', k: 50, hidden: [q.hidden], epsilon: q.epsilon, zeta: q.zeta, dropout: q.dropoutRate, lr: q.optimizer.lr, momentum: q.optimizer.momentum, weightDecay: q.optimizer.weightDecay, batch: q.batchSize, epochs: q.epochs, inputs: 'standardize' });
    expect(parseTrainArgv(['--task', 'select', '--epochs', '7', '--k', '20'])).toMatchObject({ epochs: 7, k: 20, batch: 100 });
    expect(parseTrainArgv(['--task', 'select', '--preset', 'quick']).epochs).toBe(4);
    // The classification defaults are untouched.
    expect(parseTrainArgv([])).toMatchObject({ task: 'classify', hidden: [1000, 1000, 1000], epsilon: 20, batch: 128 });
  });

  test('typed option errors: k, task, hidden', () => {
    expect(() => parseTrainArgv(['--task', 'select', '--k', '0'])).toThrow(/k/);
    expect(() => parseTrainArgv(['--task', 'select', '--k', '785'])).toThrow(/k/);
    expect(() => parseTrainArgv(['--task', 'regress'])).toThrow(/task/);
    expect(() => parseTrainArgv(['--task', 'select', '--hidden', '300-300'])).toThrow(expect.objectContaining({ option: 'hidden' }));
  });
});
