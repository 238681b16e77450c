import { readFile } from 'node:fs/promises';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { borderShare } from '../src/data/image-border.js';
import { collectPageErrors, expectRefusedUrl, finishedRun, onGpu } from './demo-pages.js';

// Both projects run every test: 'webgpu' (SwiftShader) must train on WebGPU,
// 'no-webgpu' must say it fell back to the CPU and train there. The main test
// uses the synthetic data (a blob per class: a tiny network gets it right in
// an epoch or two); the last one trains on a small MNIST subset.

/** CSR-SET, 784-64-64-10, 4 epochs of 1,000 samples: ~5 s on SwiftShader, ~2 s on the CPU. */
const TINY = '/demo/train.html?data=synthetic&variant=set-csr&hidden=64-64&epochs=4&batch=32&train=1000&test=500&seed=3&autorun=1';
/** Chance is 10 %; the tiny run reaches 100 % test accuracy on both backends (measured), so 90 % leaves room. */
const TINY_FLOOR = 0.9;

/** 784-100-100-10 on 2,000 MNIST images for 3 epochs: 80.9 % test accuracy on both backends (measured). */
const MNIST = '/demo/train.html?data=mnist&variant=set-csr&hidden=100-100&epochs=3&batch=32&train=2000&test=1000&seed=1&autorun=1';
const MNIST_FLOOR = 0.7;

type Results = NonNullable<Window['__trainResults']>;

const RUN_TIMEOUT = 90_000;

async function expectBackend(page: Page, results: Results, gpu: boolean): Promise<void> {
  const note = page.locator('#backend-note');
  if (gpu) {
    expect(results.backend, `fell back: ${results.fallbackReason}`).toBe('webgpu');
    await expect(note).toHaveAttribute('data-backend', 'webgpu');
    await expect(note).toContainText('Training on WebGPU');
    await expect(note).toContainText(/swiftshader/i);
    await expect(page.locator('#adapter')).toContainText('WebGPU');
    await expect(page.locator('#adapter')).not.toContainText('CPU');
  } else {
    expect(results.backend).toBe('cpu');
    expect(results.fallbackReason).toBeTruthy();
    await expect(note).toHaveAttribute('data-backend', 'cpu');
    await expect(note).toContainText(`CPU fallback: ${results.fallbackReason!}`);
    // Chromium has WebAssembly SIMD: the CPU backend's products run on it.
    await expect(note).toContainText('WebAssembly SIMD kernels');
    // The dev server sends COOP/COEP, so the worker's engine trains on every core the browser reports.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(results.threads, `threads (reason: ${results.threadsReason})`).toBe(cores);
    await expect(note).toHaveAttribute('data-threads', String(cores));
    if (cores > 1) await expect(note).toContainText(`on ${cores} threads`);
    // ... and the device table says so too, not "typed arrays".
    await expect(page.locator('#adapter dd').first()).toHaveText('CPU, WebAssembly SIMD');
    await expect(page.locator('#adapter')).not.toContainText('typed arrays');
  }
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Distinct colours painted on a 28 × 28 map canvas. */
async function canvasColours(canvas: Locator): Promise<{ width: number; colours: number }> {
  return canvas.evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    return { width: c.width, colours: new Set(Array.from({ length: data.length / 4 }, (_, i) => data[i * 4]! * 65536 + data[i * 4 + 1]! * 256 + data[i * 4 + 2]!)).size };
  });
}

/** The border share the page shows (start → now), as its data attributes hold it. */
async function shownShare(page: Page, id: string): Promise<{ start: number; now: number; text: string }> {
  const dd = page.locator(`#${id}`);
  return { start: Number(await dd.getAttribute('data-start')), now: Number(await dd.getAttribute('data-now')), text: (await dd.textContent()) ?? '' };
}

/** The uPlot legends' values once training is over and no cursor is on a chart. */
async function legendValues(page: Page): Promise<string[]> {
  return page.locator('#charts .u-legend .u-value').allTextContents();
}

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
  const pageErrors = collectPageErrors(page);
  const started = Date.now();
  await page.goto(TINY);
  const results = await finishedRun(page, 'train', RUN_TIMEOUT);
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
  const painted = await canvasColours(page.locator('#heatmap'));
  expect(painted.width).toBe(28);
  expect(painted.colours, 'distinct colours on the heat map').toBeGreaterThan(5);
  await expect(page.locator('#heatmap-caption')).toContainText('After epoch 4');

  // The change since the start, on its own map: SET moved connections, so it is not uniform.
  await expect(page.locator('#heatmap-measure')).toHaveAttribute('data-measure', 'connections');
  const change = await canvasColours(page.locator('#heatmap-diff'));
  expect(change.width).toBe(28);
  expect(change.colours, 'distinct colours on the change map after SET').toBeGreaterThan(5);
  await expect(page.locator('#heatmap-diff-caption')).toContainText('after epoch 4 − before training');
  await expect(page.locator('#heatmap-diff-max')).toHaveText(/^(≥ )?\+\d+$/);
  await expect(page.locator('#heatmap-story')).toHaveAttribute('data-variant', 'set-csr');
  // The number that tells it: the share of input connections on the blank border, start → now, from borderShare.
  const connections = await shownShare(page, 'border-share-connections');
  expect(connections.start).toBeCloseTo(borderShare(results.initialHeatmap!), 12);
  expect(connections.now).toBeCloseTo(borderShare(last), 12);
  expect(results.initialBorderShare!.connections).toBe(connections.start);
  expect(results.borderShares.map((b) => b.connections)).toEqual(results.heatmaps.map((m) => borderShare(m)));
  expect(connections.now, 'SET changed the border share').not.toBe(connections.start);
  expect(connections.text).toContain(`${(connections.start * 100).toFixed(1)} % → ${(connections.now * 100).toFixed(1)} %`);
  await expect(page.locator('#border-share')).toContainText('Share of input connections on the blank border');
  const strength = await shownShare(page, 'border-share-strength');
  expect(results.strengths).toHaveLength(4);
  expect(strength.start).toBeCloseTo(borderShare(results.initialStrength!), 12);
  expect(strength.now).toBeCloseTo(borderShare(results.strengths[3]!), 12);
  // Another measure redraws the maps and keeps both numbers.
  await page.getByLabel('weight strength per pixel (Σ |w|)').check();
  await expect(page.locator('#heatmap-measure')).toHaveAttribute('data-measure', 'strength');
  await expect(page.locator('#heatmap-unit')).toContainText('weight strength');
  expect((await canvasColours(page.locator('#heatmap-diff'))).colours).toBeGreaterThan(5);
  await page.getByLabel('connections per pixel').check();
  await testInfo.attach('heat maps after SET', { body: await page.locator('section:has(#heatmap)').screenshot(), contentType: 'image/png' });

  // The charts' legends show the last epoch, not placeholders, with no cursor on them.
  const legends = await legendValues(page);
  expect(legends).toHaveLength(6);
  for (const v of legends) expect(v, `legend values ${legends.join(' | ')}`).toMatch(/^\d/);
  expect(legends[0]).toBe('4');

  // The pad says what to do now that there is a model.
  await expect(page.locator('#prediction')).toContainText('Draw a digit');
  await expect(page.locator('#prediction')).not.toContainText('Train or load');

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
  await expect(page.locator('#prediction')).not.toContainText('Train or load');

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
  expect(loaded.strength).toHaveLength(784);
  // A file holds no "before": the share is shown for now only, and there is no change map.
  expect(await page.locator('#border-share-connections').getAttribute('data-start')).toBeNull();
  expect(Number(await page.locator('#border-share-connections').getAttribute('data-now'))).toBeCloseTo(borderShare(last), 12);
  await expect(page.locator('#heatmap-diff-caption')).toContainText('needs the map before training');
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

/** Requests for wgsparse/interop or its protobuf runtime, as the dev server serves them (the worker imports them on first use). */
const INTEROP_CODE = /\/src\/interop(\.ts|\/)|bufbuild/;

test('downloads the model as ONNX and safetensors, loads both back, refuses a cut file; wgsparse/interop loads only then', async ({ page }, testInfo) => {
  const pageErrors = collectPageErrors(page);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(TINY);
  const results = await finishedRun(page, 'train', RUN_TIMEOUT);
  await expectBackend(page, results, onGpu(testInfo));
  // The page and its worker trained without the interop code: the worker's own modules were requested, none of it.
  expect(requests.some((u) => u.includes('/demo/train-worker.ts')), 'the worker\'s requests are seen').toBe(true);
  expect(requests.some((u) => u.includes('/src/model/sequential.ts')), 'the library\'s modules are requested one by one').toBe(true);
  expect(requests.filter((u) => INTEROP_CODE.test(u)), 'interop code requested before an export or a foreign file').toEqual([]);

  // What the trained model says about a drawn digit, and how the page lists its layers.
  await drawStroke(page);
  await expect(page.locator('#probs li')).toHaveCount(10);
  const trained = (await page.evaluate(() => window.__trainPrediction))!;
  expect(trained).toHaveLength(10);
  const layers = await page.locator('#model-info ul.layers li').allTextContents();
  expect(layers).toHaveLength(3);
  const last = results.heatmaps[results.heatmaps.length - 1]!;

  // Download both: Playwright's download event, the name from the variant and widths, the bytes in the format.
  const files = new Map<'onnx' | 'safetensors', Buffer>();
  for (const [format, label] of [['onnx', 'ONNX'], ['safetensors', 'safetensors']] as const) {
    const button = page.getByRole('button', { name: label, exact: true });
    await expect(button).toBeEnabled();
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    const name = `wgsparse-set-csr-64-64.${format}`;
    expect(download.suggestedFilename()).toBe(name);
    const path = (await download.path())!;
    const bytes = await readFile(path);
    files.set(format, bytes);
    await expect(page.locator('#file-status')).toHaveText(`Downloaded ${name} (${label}, ${bytes.length.toLocaleString('en-US')} bytes).`);
  }
  expect(requests.filter((u) => INTEROP_CODE.test(u)).length, 'the worker imported wgsparse/interop for the export').toBeGreaterThan(0);
  // ONNX: a ModelProto (field 1, ir_version 8, first) carrying the layer list in its metadata.
  const onnx = files.get('onnx')!;
  expect([...onnx.subarray(0, 2)]).toEqual([0x08, 0x08]);
  expect(onnx.includes(Buffer.from('wgsparse.layers'))).toBe(true);
  // safetensors: a u64 header length, a JSON header with the CSR parts of every layer and the architecture.
  const st = files.get('safetensors')!;
  const headerLength = Number(st.readBigUInt64LE(0));
  const header = JSON.parse(st.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[] } | Record<string, string>>;
  expect(header['layers.0.crow_indices']).toMatchObject({ dtype: 'I64', shape: [65] });
  expect(header['layers.0.values']).toMatchObject({ dtype: 'F32' });
  const architecture = JSON.parse((header.__metadata__ as Record<string, string>)['wgsparse.layers']!) as { layers: { kind: string }[] };
  expect(architecture.layers.map((l) => l.kind)).toEqual(['sparse-linear', 'leaky-relu', 'dropout', 'sparse-linear', 'leaky-relu', 'dropout', 'sparse-linear', 'softmax']);

  // Load each back: the same network (summary, first layer), the same test score, the same prediction on the pad.
  for (const format of ['onnx', 'safetensors'] as const) {
    const name = `wgsparse-set-csr-64-64.${format}`;
    await page.evaluate(() => {
      delete window.__trainLoaded;
      delete window.__trainPrediction;
    });
    await page.locator('#load-file').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: files.get(format)! });
    // The page predicts the drawn digit again once the model is loaded.
    await page.waitForFunction(() => window.__trainLoaded !== undefined && window.__trainPrediction !== undefined, undefined, { timeout: 60_000 });
    const loaded = (await page.evaluate(() => window.__trainLoaded))!;
    expect(loaded.fileName).toBe(name);
    expect(loaded.format).toBe(format);
    expect(loaded.model.variant).toBe('set-csr');
    expect(loaded.model.sizes).toEqual([784, 64, 64, 10]);
    expect(loaded.model.parameters).toBe(results.parameters);
    expect(loaded.model.denseParameters).toBe(results.denseParameters);
    expect(loaded.model.layers).toEqual(layers);
    expect(loaded.metadata, 'ONNX and safetensors carry none of the native file\'s metadata').toEqual({});
    expect(loaded.heatmap).toEqual(last);
    expect(loaded.evaluation.accuracy).toBe(results.finalAccuracy);
    expect(loaded.evaluation.loss).toBeCloseTo(results.finalLoss!, 6);
    const label = format === 'onnx' ? 'ONNX' : 'safetensors';
    await expect(page.locator('#model-info')).toContainText(`loaded from ${name} (${label})`);
    await expect(page.locator('#file-status')).toContainText(`Loaded ${name} (${label})`);
    await expect(page.locator('#file-error')).toBeHidden();
    const prediction = (await page.evaluate(() => window.__trainPrediction))!;
    console.log(`[e2e] ${label} model loaded on ${results.backend}: ${files.get(format)!.length} bytes, largest probability difference from the trained model ${Math.max(...prediction.map((p, d) => Math.abs(p - trained[d]!)))}`);
    // The same weights in the same order through the same kernels: bit for bit on both backends (measured).
    expect(prediction, `the ${label} model's probabilities vs the trained model's`).toEqual(trained);
    expect(await page.evaluate(() => window.__trainState)).toBe('done');
  }

  // Damaged files: the ONNX bytes cut in half, a safetensors file cut inside its tensors. Each is refused with the
  // InteropFormatError's message, and the model loaded before (the safetensors one) stays in place.
  const damaged = [
    { name: 'half.onnx', buffer: onnx.subarray(0, Math.floor(onnx.length / 2)), error: 'onnx (truncated)' },
    { name: 'cut.safetensors', buffer: st.subarray(0, 8 + headerLength + 100), error: 'safetensors (truncated)' },
  ];
  for (const file of damaged) {
    await page.evaluate(() => delete window.__trainFileError);
    await page.locator('#load-file').setInputFiles({ name: file.name, mimeType: 'application/octet-stream', buffer: Buffer.from(file.buffer) });
    await page.waitForFunction(() => window.__trainFileError !== undefined, undefined, { timeout: 30_000 });
    await expect(page.locator('#file-error')).toBeVisible();
    await expect(page.locator('#file-error')).toContainText(`${file.name}: not a usable model file. ${file.error}: `);
    expect(await page.evaluate(() => window.__trainFileError)).toMatch(new RegExp(`^${file.error.replace(/[()]/g, '\\$&')}: `));
    expect(await page.evaluate(() => window.__trainState), 'a bad file leaves the page as it was').toBe('done');
    expect(await page.evaluate(() => window.__trainLoaded?.fileName)).toBe('wgsparse-set-csr-64-64.safetensors');
    await expect(page.locator('#model-info')).toContainText('loaded from wgsparse-set-csr-64-64.safetensors');
  }
  await testInfo.attach('training page after a cut ONNX file', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
  // The model in place still predicts the digit as the trained one did.
  await page.evaluate(() => delete window.__trainPrediction);
  await page.getByRole('button', { name: 'Clear' }).click();
  await drawStroke(page);
  await page.waitForFunction(() => window.__trainPrediction !== undefined, undefined, { timeout: 30_000 });
  const after = (await page.evaluate(() => window.__trainPrediction))!;
  expect(after).toEqual(trained);

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
  await expect(page.locator('#prediction')).toHaveText('Train or load a model, then draw a digit.');

  // The Weights field describes the chosen variant, and its select shows the whole label of every option.
  await expect(page.locator('#d-variant')).toContainText('group of 4');
  await expect(page.locator('#d-variant')).not.toContainText('SET');
  await page.getByLabel('Weights').selectOption('set-csr');
  await expect(page.locator('#d-variant')).toContainText('SET drops');
  await page.getByLabel('Weights').selectOption('dense');
  await expect(page.locator('#d-variant')).not.toContainText('SET');
  await page.getByLabel('Weights').selectOption('nm-2:4');
  await expect(page.locator('#d-variant')).toContainText('group of 4');
  const clipped = await page.locator('#f-variant').evaluate((select: HTMLSelectElement) => {
    const style = getComputedStyle(select);
    const ctx = document.createElement('canvas').getContext('2d')!;
    ctx.font = style.font;
    // Room for the text: the box less its padding, borders and the drop-down arrow (about 1.5em).
    const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 1.5 * parseFloat(style.fontSize);
    return Array.from(select.options)
      .filter((o) => ctx.measureText(o.text).width > room)
      .map((o) => `${o.text}: ${ctx.measureText(o.text).width.toFixed(0)} px in ${room.toFixed(0)} px`);
  });
  expect(clipped, 'options cut off in the Weights select').toEqual([]);
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
  await expect(page.locator('#prediction')).toContainText('the prediction appears when training ends');
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
  // 2:4: every group of 4 pixels keeps 2 weights per unit and the groups line up with the border, so the
  // border's share of the connections cannot move (384 of 784 pixels); the map shows weight strength instead.
  await expect(page.locator('#heatmap-story')).toHaveAttribute('data-variant', 'nm-2:4');
  await expect(page.locator('#heatmap-story')).toContainText('by construction');
  await expect(page.locator('#heatmap-measure')).toHaveAttribute('data-measure', 'strength');
  const counts = await shownShare(page, 'border-share-connections');
  expect(counts.start).toBe(384 / 784);
  expect(counts.now).toBe(384 / 784);
  await expect(page.locator('#border-share-connections')).toContainText('unchanged');
  const strength = await shownShare(page, 'border-share-strength');
  expect(strength.now, 'the trained 2:4 layer\'s strength moved').not.toBe(strength.start);
  expect((await canvasColours(page.locator('#heatmap-diff'))).colours, 'the 2:4 change map (strength)').toBeGreaterThan(5);
  await expect(page.getByRole('button', { name: 'Save model' })).toBeEnabled();
  await expect(page.getByRole('button', { name: 'Train' })).toBeEnabled();
  await expect(page.locator('#prediction')).toContainText('Draw a digit');
  await testInfo.attach('training page after Stop', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
});

test('learns MNIST: a small subset of the real data set', async ({ page }, testInfo) => {
  const gpu = onGpu(testInfo);
  const started = Date.now();
  await page.goto(MNIST);
  const results = await finishedRun(page, 'train', 120_000);
  const seconds = (Date.now() - started) / 1000;
  console.log(`[e2e] train page, MNIST 2,000 × 3 epochs on ${results.backend}: ${seconds.toFixed(1)} s (data ${results.data?.seconds.toFixed(1)} s), test accuracy ${results.finalAccuracy}`);
  await testInfo.attach('training page after an MNIST run', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
  await expectBackend(page, results, gpu);
  expect(results.data?.source).toBe('mnist');
  expect(results.data?.train).toBe(2000);
  expect(results.data?.test).toBe(1000);
  expect(results.finalAccuracy!, 'MNIST test accuracy after 3 epochs on 2,000 images').toBeGreaterThanOrEqual(MNIST_FLOOR);
  await expect(page.locator('#data-info')).toContainText('MNIST');
  // Pattern discovery on real digits: the first layer's weight moves off the always-blank border
  // (49.2 % → 45.9 % in these 3 short epochs, measured; the connections follow over longer runs).
  const strength = await shownShare(page, 'border-share-strength');
  expect(strength.now, `border share of the input weight strength: ${strength.text}`).toBeLessThan(strength.start - 0.01);
  await expect(page.locator('#border-share-connections')).toContainText('→');
});

test('refuses unknown and bad URL parameters by name, with the messages of npm run train', async ({ page }) => {
  // The page and the CLI share bench/train-options.ts: ?hiden= is refused as --hiden is, epochs=0 as --epochs 0.
  await expectRefusedUrl(page, 'train', '/demo/train.html?hiden=300-300&epochs=0&batch=16&autorun=1', [
    'hiden: unknown parameter (did you mean hidden?)',
    'epochs: must be an integer in [1, 1000], got "0"',
  ]);
  // The good parameter still reached the form.
  await expect(page.getByLabel('Batch size', { exact: false })).toHaveValue('16');
});
