import { expect, test } from '@playwright/test';
import { collectPageErrors, finishedRun, onGpu } from './demo-pages.js';

// The QuickSelection page (demo/select.html) end to end, scaled down: one
// epoch of a 784-200-784 autoencoder on the first 300 MNIST images, K = 20.
// 'webgpu' trains on SwiftShader, 'no-webgpu' on the CPU fallback; either
// way the grid of the selected pixels appears beside the mean digit.
const SMALL = '/demo/select.html?train=300&epochs=1&k=20&hidden=200&autorun=1';

test('one short epoch draws its selected pixels beside the mean digit', async ({ page }, testInfo) => {
  const pageErrors = collectPageErrors(page);
  await page.goto(SMALL);
  const results = await finishedRun(page, 'select', 60_000);
  expect(pageErrors).toEqual([]);
  expect(results.backend).toBe(onGpu(testInfo) ? 'webgpu' : 'cpu');
  expect(results.epochs).toHaveLength(1);
  const selected = results.epochs[0]!.selected;
  expect(new Set(selected).size).toBe(20);
  expect(selected.every((p) => Number.isInteger(p) && p >= 0 && p < 784)).toBe(true);
  expect(Number.isFinite(results.epochs[0]!.loss)).toBe(true);
  // The mean digit and one grid per epoch, the latter carrying its pixels.
  await expect(page.locator('#grids figure')).toHaveCount(2);
  await expect(page.locator('#grids figure').nth(1)).toHaveAttribute('data-selected', selected.join(' '));
  await expect(page.locator('#progress-label')).toHaveText('Done: 1 epoch.');
});
