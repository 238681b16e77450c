import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { validateReport, type BenchReport, type FloorCheck } from '../bench/schema.js';
import { collectPageErrors, expectRefusedUrl, finishedRun, onGpu } from './demo-pages.js';

// Both projects run both tests: 'webgpu' (SwiftShader) measures the GPU and
// CPU cases, 'no-webgpu' must say it fell back to the CPU and still measure
// the CPU cases. Configurations are tiny: SwiftShader and the CPU peers are slow.

const GPU_RUN = '/demo/bench.html?shapes=128x128x16&sparsities=0.9&nm=2:4&ops=forward&runs=10&cpuShape=64x64x8&peers=1&evolve=0&autorun=1';
const CPU_RUN = '/demo/bench.html?shapes=128x128x16&sparsities=0.9&nm=2:4&ops=forward&runs=10&cpuShape=32x32x8&peers=1&evolve=0&autorun=1';

const RUN_TIMEOUT = 240_000;

const row = (page: Page, backend: string, impl: string, variant: string) =>
  page.locator(`table.results tr[data-backend="${backend}"][data-op="forward"][data-impl="${impl}"][data-variant="${variant}"]`);

test('runs the suite from URL parameters: tables, floors, charts, JSON and CSV export', async ({ page }, testInfo) => {
  const gpu = onGpu(testInfo);
  const pageErrors = collectPageErrors(page);
  await page.goto(gpu ? GPU_RUN : CPU_RUN);
  const report = await finishedRun(page, 'bench', RUN_TIMEOUT);
  await testInfo.attach('benchmark page', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

  expect(validateReport(report), 'window.__benchResults against the schema').toEqual([]);
  // What ran: the GPU cases only where there is WebGPU; the CPU cases always.
  const expected: Array<[backend: string, impl: string, variant: string]> = [
    ['cpu', 'wgsparse', 'dense'],
    ['cpu', 'wgsparse', 'csr 90%'],
    ['cpu', 'wgsparse', '2:4'],
    ['cpu', 'tfjs-cpu', 'dense'],
    ['cpu', 'mathjs', 'csr 90%'],
  ];
  if (gpu) {
    expected.push(['webgpu', 'wgsparse', 'dense'], ['webgpu', 'wgsparse', 'csr 90%'], ['webgpu', 'wgsparse', '2:4'], ['webgpu', 'tfjs-webgpu', 'dense']);
    const a = report.adapter!;
    expect(a, 'adapter in the report').not.toBeNull();
    console.log(`[e2e] bench page adapter: ${a.vendor} / ${a.architecture} / ${a.description}`);
    expect(`${a.architecture} ${a.description}`.toLowerCase()).toContain('swiftshader');
    expect(Object.keys(report.limits)).toContain('maxStorageBufferBindingSize');
  } else {
    expect(report.adapter).toBeNull();
    expect(report.cases.every((c) => c.backend === 'cpu')).toBe(true);
    await expect(page.locator('#backend-note')).toContainText('fell back to the CPU');
    await expect(page.locator('table.results tr[data-backend="webgpu"]')).toHaveCount(0);
  }
  expect(report.cases).toHaveLength(expected.length);
  for (const [backend, impl, variant] of expected) {
    await expect(row(page, backend, impl, variant), `${backend} ${impl} ${variant} row`).toHaveCount(1);
    expect(report.cases.filter((c) => c.backend === backend && c.impl === impl && c.op === 'forward')).not.toHaveLength(0);
  }
  for (const c of report.cases) expect(c.maxAbsError, `${c.backend} ${c.impl} ${c.format} agrees with the reference`).toBeLessThan(1e-3);
  // The sparse rows carry a speed-up over dense.
  await expect(row(page, gpu ? 'webgpu' : 'cpu', 'wgsparse', 'csr 90%').locator('td').nth(6)).toHaveText(/^\d+(\.\d+)?×$/);

  // Progress finished; floors listed (the GPU ones only where there is a GPU).
  await expect(page.locator('#progress')).toHaveAttribute('value', '1');
  await expect(page.locator('#progress-label')).toContainText(`Done: ${report.cases.length} cases`);
  await expect(page.locator('#floors-table tbody tr').first()).toBeVisible();
  await expect(page.locator('#floors-table')).toContainText('CPU CSR 90% vs mathjs sparse multiply');
  if (gpu) await expect(page.locator('#floors-table')).toContainText('CSR 90% vs wgsparse GEMM, 128×128×16');

  // One chart per (backend, op, shape) with sparse cases: CSR and N:M series.
  await expect(page.locator('.uplot canvas')).toHaveCount(gpu ? 2 : 1);
  await expect(page.locator('.uplot').first()).toContainText('CSR (unstructured)');
  await expect(page.locator('.uplot').first()).toContainText('N:M 2:4 (structured)');

  // JSON export: the whole report (plus its floors) as a Blob download.
  const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  expect(jsonDownload.suggestedFilename()).toMatch(/^wgsparse-bench-.*\.json$/);
  const exported = JSON.parse(await readFile((await jsonDownload.path())!, 'utf8')) as BenchReport & { floors: FloorCheck[] };
  expect(validateReport(exported)).toEqual([]);
  expect(exported.cases).toHaveLength(report.cases.length);
  expect(exported.floors.length).toBeGreaterThan(0);

  // Floors and skipped cases say why (issue 11 item 12). evolve=0 here: the evolve floors were not measured, and say so.
  const evolveFloor = page.locator('#floors-table tbody tr', { hasText: 'GPU evolve vs CPU round trip' });
  await expect(evolveFloor).toHaveAttribute('data-status', 'not measured');
  await expect(evolveFloor.locator('td.reason')).toContainText('evolve off');
  expect(exported.floors.every((f) => f.status === 'pass' || (typeof f.reason === 'string' && f.reason.length > 0)), 'every MISS or unmeasured floor has a reason').toBe(true);
  expect(exported.skipped.filter((s) => s.kind === 'check').map((s) => s.label)).toEqual(exported.floors.filter((f) => f.status === 'not measured').map((f) => f.name));
  const skippedCases = exported.skipped.filter((s) => s.kind === 'case');
  if (gpu) {
    expect(skippedCases).toEqual([]);
    // On SwiftShader a GPU floor's miss says that it needs a real GPU.
    for (const f of exported.floors.filter((x) => x.status === 'miss' && x.needsGpu)) expect(f.reason, f.name).toContain('real GPU');
  } else {
    // The CPU-only JSON lists the GPU cases it could not run (it said "skipped": [] before).
    expect(skippedCases.map((s) => s.label)).toEqual(['webgpu forward 128×128×16 (dense, csr 90%, 2:4, tfjs-webgpu)']);
    expect(skippedCases[0]!.reason).toContain('no WebGPU adapter');
    await expect(page.locator('#skipped-list')).toContainText('no WebGPU adapter');
    for (const f of exported.floors.filter((x) => x.needsGpu)) expect(f.reason, f.name).toContain(f.name.startsWith('GPU evolve') || f.name.startsWith('epoch') ? 'evolve off' : 'no WebGPU adapter');
  }

  // CSV export: a header line, then one line per case.
  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  expect(csvDownload.suggestedFilename()).toMatch(/^wgsparse-bench-.*\.csv$/);
  const lines = (await readFile((await csvDownload.path())!, 'utf8')).trim().split('\n');
  expect(lines[0]).toMatch(/^op,format,/);
  expect(lines).toHaveLength(report.cases.length + 1);

  expect(pageErrors, 'uncaught errors on the page').toEqual([]);
});

test('shows the device, mirrors the form in the URL, and runs from the Run button', async ({ page }, testInfo) => {
  const gpu = onGpu(testInfo);
  await page.goto('/demo/bench.html?shapes=64x64x8&sparsities=0.9&nm=2:4&ops=forward&runs=10&cpuShape=32x32x8&peers=0&evolve=0');
  await expect(page.locator('#run')).toBeEnabled({ timeout: 60_000 });
  expect(await page.evaluate(() => window.__benchState)).toBe('idle');

  const note = page.locator('#backend-note');
  if (gpu) {
    await expect(note).toHaveAttribute('data-backend', 'webgpu');
    await expect(page.locator('#adapter')).toContainText(/swiftshader/i);
    await expect(page.locator('#adapter')).toContainText('Architecture');
    await expect(page.locator('#adapter')).toContainText('Description');
    await expect(page.locator('#limits')).toContainText('maxStorageBufferBindingSize');
    await expect(page.locator('#features')).toBeVisible();
  } else {
    await expect(note).toHaveAttribute('data-backend', 'cpu');
    await expect(note).toContainText('fell back to the CPU');
    await expect(page.locator('#limits')).toHaveCount(0);
  }

  // The form starts from the URL; labelled controls.
  await expect(page.getByLabel('GPU shapes')).toHaveValue('64x64x8');
  await expect(page.getByLabel('CSR sparsities')).toHaveValue('0.9');
  await expect(page.getByLabel('N:M patterns')).toHaveValue('2:4');
  await expect(page.getByLabel('forward (SpMM)')).toBeChecked();
  await expect(page.getByLabel('backward (SpMMᵀ)')).not.toBeChecked();
  await expect(page.getByRole('checkbox', { name: /^peers/ })).not.toBeChecked();

  // Editing the form rewrites the URL; a bad value is flagged and leaves it alone.
  await page.getByLabel('Timed runs per case').fill('11');
  await expect(page).toHaveURL(/[?&]runs=11(&|$)/);
  await page.getByLabel('CSR sparsities').fill('0.9,1.5');
  await page.getByLabel('CSR sparsities').blur();
  await expect(page.locator('#form-errors')).toContainText('bad sparsity');
  await expect(page.getByLabel('CSR sparsities')).toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/[?&]sparsities=0\.9(&|$)/);
  await page.getByLabel('CSR sparsities').fill('0.8');
  await expect(page).toHaveURL(/[?&]sparsities=0\.8(&|$)/);
  await expect(page.locator('#form-errors')).toBeEmpty();

  // Run from the button with the edited parameters.
  await page.getByRole('button', { name: 'Run benchmark' }).click();
  const report = await finishedRun(page, 'bench', RUN_TIMEOUT);
  expect(validateReport(report)).toEqual([]);
  expect(report.cases.every((c) => c.runs === 11)).toBe(true);
  expect(report.cases.some((c) => c.impl !== 'wgsparse'), 'peers=0: no peers').toBe(false);
  const csr = report.cases.filter((c) => c.format === 'csr');
  expect(csr.length).toBeGreaterThan(0);
  for (const c of csr) expect(c.sparsity).toBeCloseTo(0.8, 1);
  if (gpu) {
    expect(report.cases.filter((c) => c.backend === 'webgpu').map((c) => c.format).sort()).toEqual(['csr', 'dense', 'nm']);
  } else {
    expect(report.adapter).toBeNull();
    expect(report.cases.map((c) => c.backend)).toEqual(['cpu', 'cpu', 'cpu']);
    // The device table names what the CPU products run on (Chromium has WebAssembly SIMD), not "typed arrays".
    await expect(page.locator('#adapter dd').first()).toHaveText('CPU, WebAssembly SIMD');
  }
  await expect(page.locator('table.results tr[data-variant="csr 80%"]')).toHaveCount(gpu ? 2 : 1);
  await testInfo.attach('benchmark page after a Run', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
});

test('refuses unknown and bad URL parameters by name, with the messages of npm run bench', async ({ page }) => {
  // The page and the CLI share bench/bench-options.ts: ?sparsity= is refused as --sparsity is, runs=5 as --runs 5.
  await expectRefusedUrl(page, 'bench', '/demo/bench.html?sparsity=0.9&runs=5&cpuShape=32x32x8&nm=1:4&autorun=1', [
    'sparsity: unknown parameter (did you mean sparsities?)',
    'runs: must be an integer ≥ 10, got "5"',
  ]);
  // The good parameters still reached the form.
  await expect(page.getByLabel('N:M patterns')).toHaveValue('1:4');
  await expect(page.getByLabel('CPU shape')).toHaveValue('32x32x8');
});
