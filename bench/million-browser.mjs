#!/usr/bin/env node
// The million-neuron page at full size in headless Chromium, once, recorded:
//   node bench/million-browser.mjs [URL parameters, default backend=cpu&epochs=1]
// Starts Vite's dev server, opens /demo/million.html?…&autorun=1, polls the
// page's state and progress every 15 s (printing it), sums the resident
// memory of the browser's processes, and writes
// bench/results/million-neuron-browser-<date>.json with the page's results
// and a screenshot next to it. The CI test (e2e/million-page.spec.ts) runs a
// scaled-down variant; this is the full-size tab run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const params = new URLSearchParams(process.argv[2] ?? 'backend=cpu&epochs=1');
params.set('autorun', '1');
const date = new Date().toISOString().slice(0, 10);
const out = join(root, 'bench', 'results', `million-neuron-browser-${date}.json`);
const port = 5199;

/** Resident memory of every process of this browser (its profile directory is on their command lines). */
function browserRss(profile) {
  const lines = execFileSync('ps', ['-eo', 'rss=,args='], { encoding: 'utf8', maxBuffer: 1 << 24 }).split('\n');
  let kb = 0;
  for (const line of lines) if (line.includes(profile)) kb += Number(line.trim().split(/\s+/)[0]) || 0;
  return kb * 1024;
}

const server = await createServer({ root, configFile: join(root, 'vite.config.ts'), server: { port, strictPort: true }, logLevel: 'warn' });
await server.listen();
const profile = mkdtempSync(join(tmpdir(), 'million-browser-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--disable-background-networking', '--disable-component-update', '--no-first-run', '--no-sandbox', '--disable-gpu'],
});
const started = performance.now();
const samples = [];
let peakRss = 0;
let code = 1;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const url = `http://localhost:${port}/demo/million.html?${params}`;
  console.log(`opening ${url}`);
  await page.goto(url);
  for (;;) {
    const state = await page.evaluate(() => window.__millionState);
    const label = await page.locator('#progress-label').textContent();
    const rss = browserRss(profile);
    peakRss = Math.max(peakRss, rss);
    const seconds = (performance.now() - started) / 1000;
    samples.push({ seconds, state, label, rss });
    console.log(`${seconds.toFixed(0).padStart(6)} s  ${state}  ${label}  browser rss ${(rss / 2 ** 20).toFixed(0)} MB`);
    if (['done', 'error', 'stopped'].includes(state)) break;
    await page.waitForTimeout(15_000);
  }
  const shot = out.replace(/\.json$/, '.png');
  await page.screenshot({ path: shot, fullPage: true });
  const { results, error, state } = await page.evaluate(() => ({ results: window.__millionResults, error: window.__millionError, state: window.__millionState }));
  mkdirSync(dirname(out), { recursive: true });
  const report = {
    schema: 'wgsparse-million-browser/1',
    date: new Date().toISOString(),
    url: `/demo/million.html?${params}`,
    browser: `headless Chromium ${context.browser()?.version() ?? ''} (--disable-gpu: the CPU backend)`,
    state,
    error: error ?? null,
    results,
    peakBrowserRssBytes: peakRss,
    progressSamples: samples,
    totalSeconds: (performance.now() - started) / 1000,
    screenshot: shot.slice(root.length + 1),
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`${state}${error ? `: ${error}` : ''}; peak browser rss ${(peakRss / 2 ** 20).toFixed(0)} MB → ${out}`);
  code = state === 'done' ? 0 : 1;
} finally {
  await context.close();
  await server.close();
}
process.exit(code);
