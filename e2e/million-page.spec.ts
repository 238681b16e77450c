import { expect, test } from '@playwright/test';
import { collectPageErrors, finishedRun, onGpu } from './demo-pages.js';

// The million-neuron page (demo/million.html) end to end, scaled down so
// that CI runs it in seconds: 2,000 features instead of 54,675 and two
// hidden layers of 20,000 (40,000 hidden neurons), one epoch of 450
// samples. The same code path as the full 54,675-500,000-500,000-18 run,
// which was done once by hand (bench/results/million-neuron-*.json notes
// it). Both projects: 'webgpu' trains on SwiftShader, 'no-webgpu' on the
// CPU fallback.
/** 200 informative features at ±2: one epoch reaches 70 % test accuracy in Node's CPU run of the same options (measured). */
const SCALED = '/demo/million.html?backend=auto&features=2000&samples=600&test=150&informative=200&signal=2&hidden=20000-20000&outputDensity=0.05&epochs=1&batch=32&autorun=1';

test('a scaled-down million-neuron run trains an epoch with its progress shown', async ({ page }, testInfo) => {
  const pageErrors = collectPageErrors(page);
  await page.goto(SCALED);
  // Progress is visible while the epoch runs (updated after every batch).
  await expect(page.locator('#progress-label')).toContainText(/Epoch 1 of 1: batch \d+ of 15/, { timeout: 120_000 });
  const results = await finishedRun(page, 'million', 240_000);
  expect(pageErrors).toEqual([]);
  expect(results.backend).toBe(onGpu(testInfo) ? 'webgpu' : 'cpu');
  const model = results.model!;
  expect(model.layers).toEqual([2000, 20_000, 20_000, 18]);
  expect(model.hiddenNeurons).toBe(40_000);
  // Truly sparse: far below the dense 2000·20000 + 20000² + 20000·18.
  const connections = model.layerSummaries.reduce((n, l) => n + l.connections, 0);
  expect(connections).toBeLessThan(0.01 * (2000 * 20_000 + 20_000 * 20_000 + 20_000 * 18));
  expect(model.epochs).toHaveLength(1);
  const epoch = model.epochs[0]!;
  expect(Number.isFinite(epoch.trainLoss)).toBe(true);
  // 450 training samples in batches of 32: 15 batches, each drawn.
  expect(results.progressUpdates).toBe(15);
  await expect(page.locator('#progress')).toHaveAttribute('max', '15');
  await expect(page.locator('#progress-count')).toHaveText('15 / 15');
  await expect(page.locator('#epochs tbody tr')).toHaveCount(1);
  await expect(page.locator('#model-info')).toHaveAttribute('data-hidden-neurons', '40000');
  await expect(page.locator('#progress-label')).toContainText('Done: 1 epoch');
  // Chance is 1/18 ≈ 5.6 %; with this strong a signal one epoch already beats it clearly.
  expect(epoch.testAccuracy).toBeGreaterThan(0.3);
});

test('bad URL options are listed and left at their defaults', async ({ page }) => {
  await page.goto('/demo/million.html?hidden=0&epochs=x&nope=1');
  const errors = page.locator('#option-errors');
  await expect(errors).toContainText('hidden');
  await expect(errors).toContainText('epochs');
  await expect(errors).toContainText('nope');
  await expect(page.locator('#setup')).toContainText('54,675-500,000-500,000-18');
  expect(await page.evaluate(() => window.__millionState)).toBe('idle');
});
