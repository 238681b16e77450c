import { readFile } from 'node:fs/promises';
import { expect, test, type Page, type TestInfo } from '@playwright/test';

// Both projects run every test: 'webgpu' (SwiftShader) must train on WebGPU,
// 'no-webgpu' must say it fell back to the CPU and train there. The main test
// uses the synthetic data (a blob per class: a tiny network gets it right in
// an epoch or two); the last one trains on a small MNIST subset.

const onGpu = (testInfo: TestInfo) => testInfo.project.name === 'webgpu';

/** CSR-SET, 784-64-64-10, 4 epochs of 1,000 samples: ~5 s on SwiftShader, ~2 s on the CPU. */
const TINY = '/demo/train.html?data=synthetic&variant=set-csr&hidden=64-64&epochs=4&batch=32&train=1000&test=500&seed=3&autorun=1';
/** Chance is 10 %; the tiny run reaches 100 % test accuracy on both backends (measured), so 90 % leaves room. */
const TINY_FLOOR = 0.9;

/** 784-100-100-10 on 2,000 MNIST images for 3 epochs: 80.9 % test accuracy on both backends (measured). */
const MNIST = '/demo/train.html?data=mnist&variant=set-csr&hidden=100-100&epochs=3&batch=32&train=2000&test=1000&seed=1&autorun=1';
const MNIST_FLOOR = 0.7;

type Results = NonNullable<Window['__trainResults']>;

/** Waits for the run to end; fails with the page's error if it failed. */
async function waitForRun(page: Page, timeout = 90_000): Promise<Results> {
  await page.waitForFunction(() => ['done', 'error', 'stopped'].includes(window.__trainState ?? ''), undefined, { timeout, polling: 250 });
  const { state, error } = await page.evaluate(() => ({ state: window.__trainState, error: window.__trainError }));
  expect(error, 'the page reported an error').toBeUndefined();
  expect(state).toBe('done');
  return (await page.evaluate(() => window.__trainResults))!;
}

async function expectBackend(page: Page, results: Results, gpu: boolean): Promise<void> {
  const note = page.locator('#backend-note');
  if (gpu) {
    expect(results.backend, `fell back: ${results.fallbackReason}`).toBe('webgpu');
    await expect(note).toHaveAttribute('data-backend', 'webgpu');
    await expect(note).toContainText('Training on WebGPU');
    await expect(note).toContainText(/swiftshader/i);
    await expect(page.locator('#adapter')).toContainText('WebGPU');
  } else {
    expect(results.backend).toBe('cpu');
    expect(results.fallbackReason).toBeTruthy();
    await expect(note).toHaveAttribute('data-backend', 'cpu');
    await expect(note).toContainText(`CPU fallback: ${results.fallbackReason!}`);
    // Chromium has WebAssembly SIMD: the CPU backend's products run on it.
    await expect(note).toContainText('WebAssembly SIMD kernels');
  }
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Draws a "1"-like stroke with the mouse on the pad. */
async function drawStroke(page: Page): Promise<void> {
  await page.locator('#pad').scrollIntoViewIfNeeded();
  const box = (await page.locator('#pad').boundingBox())!;
  const x = box.x + box.width * 0.5;
  await page.mouse.move(x, box.y + box.height * 0.2);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(x + i, box.y + box.height * (0.2 + 0.06 * i));
  await page.mouse.up();
}

test('trains from URL parameters: backend, accuracy, charts, heat maps, drawing pad, save and load', async ({ page }, testInfo) => {
  const gpu = onGpu(testInfo);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const started = Date.now();
  await page.goto(TINY);
  const results = await waitForRun(page);
  console.log(`[e2e] train page, tiny synthetic run on ${results.backend}: ${((Date.now() - started) / 1000).toFixed(1)} s, test accuracy ${results.finalAccuracy}`);
  await testInfo.attach('training page after a run', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

  await expectBackend(page, results, gpu);

  // What ran, and how well.
  expect(results.variant).toBe('set-csr');
  expect(results.sizes).toEqual([784, 64, 64, 10]);
  expect(results.data?.source).toBe('synthetic');
  expect(results.epochs).toHaveLength(4);
  expect(results.finalAccuracy!, 'test accuracy after 4 epochs').toBeGreaterThanOrEqual(TINY_FLOOR);
  expect(results.finalAccuracy).toBe(results.epochs[3]!.valAccuracy);
  expect(results.epochs[3]!.loss).toBeLessThan(results.epochs[0]!.loss);
  await expect(page.locator('#evaluation')).toContainText('accuracy');
  await expect(page.locator('#progress-label')).toContainText('Done: 4 epochs');
  await expect(page.locator('#progress')).toHaveAttribute('value', '1');

  // Sparse: fewer parameters than dense, stated on the page.
  expect(results.parameters).toBeGreaterThan(0);
  expect(results.parameters).toBeLessThan(results.denseParameters);
  await expect(page.locator('#model-size [data-parameters]')).toHaveAttribute('data-parameters', String(results.parameters));
  await expect(page.locator('#model-size [data-dense-parameters]')).toHaveAttribute('data-dense-parameters', String(results.denseParameters));

  // Charts and the table, one row per epoch.
  await expect(page.locator('#charts .uplot')).toHaveCount(2);
  await expect(page.locator('#charts .uplot canvas')).toHaveCount(2);
  await expect(page.locator('#charts .uplot').first()).toContainText('Loss');
  await expect(page.locator('#epochs-table tbody tr')).toHaveCount(4);
  await expect(page.locator('#epochs-table tbody tr[data-epoch="4"]')).toBeVisible();

  // Heat maps: one per epoch; SET moves connections (the first and last differ) but keeps their number.
  expect(results.initialHeatmap).toHaveLength(784);
  expect(results.heatmaps).toHaveLength(4);
  for (const map of results.heatmaps) expect(map).toHaveLength(784);
  const first = results.heatmaps[0]!;
  const last = results.heatmaps[3]!;
  const moved = first.filter((c, i) => c !== last[i]).length;
  expect(moved, 'pixels whose connection count changed between the first and last epoch').toBeGreaterThan(50);
  expect(sum(last)).toBe(sum(first));
  expect(sum(first)).toBe(sum(results.initialHeatmap!));
  const painted = await page.locator('#heatmap').evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    return { width: c.width, colours: new Set(Array.from({ length: data.length / 4 }, (_, i) => data[i * 4]! * 65536 + data[i * 4 + 1]! * 256 + data[i * 4 + 2]!)).size };
  });
  expect(painted.width).toBe(28);
  expect(painted.colours, 'distinct colours on the heat map').toBeGreaterThan(5);
  await expect(page.locator('#heatmap-caption')).toContainText('After epoch 4');

  // The drawing pad: a stroke gives ten probabilities.
  await drawStroke(page);
  await expect(page.locator('#probs li')).toHaveCount(10);
  await expect(page.locator('#prediction')).toContainText('The model reads a');
  const prediction = (await page.evaluate(() => window.__trainPrediction))!;
  expect(prediction).toHaveLength(10);
  expect(sum(prediction)).toBeCloseTo(1, 4);
  await testInfo.attach('drawing pad with a prediction', { body: await page.locator('section:has(#pad)').screenshot(), contentType: 'image/png' });
  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(page.locator('#probs li')).toHaveCount(0);

  // Save: a .wgsparse download of a model file.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save model' }).click()]);
  expect(download.suggestedFilename()).toBe('wgsparse-set-csr-64-64.wgsparse');
  const file = (await download.path())!;
  const bytes = await readFile(file);
  expect(bytes.subarray(0, 7).toString('latin1')).toBe('WGSPMDL');
  await expect(page.locator('#file-status')).toContainText('Saved wgsparse-set-csr-64-64.wgsparse');

  // Load it back: evaluated on the same test set, it scores exactly what the trained model did.
  await page.locator('#load-file').setInputFiles(file);
  await page.waitForFunction(() => window.__trainLoaded !== undefined, undefined, { timeout: 60_000 });
  const loaded = (await page.evaluate(() => window.__trainLoaded))!;
  expect(loaded.model.parameters).toBe(results.parameters);
  expect(loaded.model.variant).toBe('set-csr');
  expect(loaded.model.sizes).toEqual([784, 64, 64, 10]);
  expect(loaded.metadata.app).toBe('wgsparse training demo');
  expect(loaded.evaluation.accuracy).toBe(results.finalAccuracy);
  expect(loaded.evaluation.loss).toBeCloseTo(results.finalLoss!, 6);
  expect(loaded.heatmap).toEqual(last);
  await expect(page.locator('#file-status')).toContainText('Loaded');
  await expect(page.locator('#model-info')).toContainText('loaded from');
  await expect(page.locator('#file-error')).toBeHidden();
  expect(await page.evaluate(() => window.__trainState)).toBe('done');

  // A damaged copy (one flipped byte in the weights) is refused with the ModelFormatError's message.
  const corrupt = Buffer.from(bytes);
  const at = corrupt.length - 100;
  corrupt[at] = corrupt[at]! ^ 0xff;
  await page.locator('#load-file').setInputFiles({ name: 'damaged.wgsparse', mimeType: 'application/octet-stream', buffer: corrupt });
  await expect(page.locator('#file-error')).toBeVisible({ timeout: 30_000 });
  await expect(page.locator('#file-error')).toContainText('damaged.wgsparse: not a usable model file');
  await expect(page.locator('#file-error')).toContainText('model file (corrupt)');
  // Something that is not a model file at all.
  await page.locator('#load-file').setInputFiles({ name: 'notes.wgsparse', mimeType: 'text/plain', buffer: Buffer.from('not a model, just some text that is long enough to have a preamble') });
  await expect(page.locator('#file-error')).toContainText('notes.wgsparse: not a usable model file');
  await expect(page.locator('#file-error')).toContainText('model file (magic)');
  expect(await page.evaluate(() => window.__trainState), 'a bad file leaves the page as it was').toBe('done');
  await testInfo.attach('training page after a bad file', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
  // The model loaded before is still there.
  await drawStroke(page);
  await expect(page.locator('#probs li')).toHaveCount(10);

  expect(pageErrors, 'uncaught errors on the page').toEqual([]);
});

test('mirrors the form in the URL, trains from the Train button, and stops on Stop', async ({ page }, testInfo) => {
  const gpu = onGpu(testInfo);
  await page.goto('/demo/train.html?data=synthetic&hidden=32&epochs=200&train=2000&test=200&variant=nm-2:4');
  await expect(page.getByRole('button', { name: 'Train' })).toBeEnabled({ timeout: 60_000 });
  expect(await page.evaluate(() => window.__trainState)).toBe('idle');
  await expect(page.locator('#backend-note')).toHaveAttribute('data-backend', gpu ? 'webgpu' : 'cpu');

  // The form starts from the URL; editing it rewrites the URL; bad values are flagged.
  await expect(page.getByLabel('Hidden layers')).toHaveValue('32');
  await expect(page.getByLabel('Weights')).toHaveValue('nm-2:4');
  await expect(page.getByLabel('Training samples')).toHaveValue('2000');
  await expect(page.getByLabel('ε (sparsity)')).toBeDisabled();
  await page.getByLabel('Hidden layers').fill('1000-1000-1000-1000');
  await page.getByLabel('Hidden layers').blur();
  await expect(page.locator('#form-errors')).toContainText('give 1 to 3 widths');
  await expect(page.getByLabel('Hidden layers')).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('Hidden layers').fill('48-16');
  await expect(page).toHaveURL(/[?&]hidden=48-16(&|$)/);
  await expect(page.locator('#form-errors')).toBeEmpty();

  // Train with the edited form, stop after the first epoch.
  await page.getByRole('button', { name: 'Train' }).click();
  await page.waitForFunction(() => (window.__trainResults?.epochs.length ?? 0) >= 1, undefined, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Stop' }).click();
  await page.waitForFunction(() => window.__trainState !== 'training', undefined, { timeout: 30_000 });
  expect(await page.evaluate(() => window.__trainState)).toBe('stopped');
  const results = (await page.evaluate(() => window.__trainResults))!;
  expect(results.stopped).toBe(true);
  expect(results.variant).toBe('nm-2:4');
  expect(results.sizes).toEqual([784, 48, 16, 10]);
  expect(results.epochs.length).toBeLessThan(200);
  expect(results.finalAccuracy, 'a stopped model is still evaluated').not.toBeNull();
  expect(results.parameters).toBeLessThan(results.denseParameters);
  await expect(page.locator('#progress-label')).toContainText('Stopped after');
  await expect(page.getByRole('button', { name: 'Save model' })).toBeEnabled();
  await expect(page.getByRole('button', { name: 'Train' })).toBeEnabled();
  await testInfo.attach('training page after Stop', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
});

test('learns MNIST: a small subset of the real data set', async ({ page }, testInfo) => {
  const gpu = onGpu(testInfo);
  const started = Date.now();
  await page.goto(MNIST);
  const results = await waitForRun(page, 120_000);
  const seconds = (Date.now() - started) / 1000;
  console.log(`[e2e] train page, MNIST 2,000 × 3 epochs on ${results.backend}: ${seconds.toFixed(1)} s (data ${results.data?.seconds.toFixed(1)} s), test accuracy ${results.finalAccuracy}`);
  await testInfo.attach('training page after an MNIST run', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
  await expectBackend(page, results, gpu);
  expect(results.data?.source).toBe('mnist');
  expect(results.data?.train).toBe(2000);
  expect(results.data?.test).toBe(1000);
  expect(results.finalAccuracy!, 'MNIST test accuracy after 3 epochs on 2,000 images').toBeGreaterThanOrEqual(MNIST_FLOOR);
  await expect(page.locator('#data-info')).toContainText('MNIST');
});
