import { expect, test } from '@playwright/test';

interface Smoke {
  backend?: string;
  fallbackReason?: string | null;
  adapter?: string | null;
  csrDiff?: number;
  nmDiff?: number;
  maxAbsDiff?: number;
  ok?: boolean;
  error?: string;
}

test('kernels run in the browser on the backend the project expects', async ({ page }, testInfo) => {
  await page.goto('/e2e/smoke.html');
  await page.waitForFunction(() => window.__smoke !== undefined, undefined, { timeout: 120_000 });
  const smoke = (await page.evaluate(() => window.__smoke)) as Smoke;
  await testInfo.attach('smoke page', { body: await page.screenshot(), contentType: 'image/png' });
  expect(smoke.error, 'page error').toBeUndefined();
  if (testInfo.project.name === 'webgpu') {
    // A missing adapter fails here: GPU tests never skip.
    expect(smoke.backend, `fell back: ${smoke.fallbackReason}`).toBe('webgpu');
    console.log(`[e2e] WebGPU adapter in Chromium: ${smoke.adapter}`);
    expect(smoke.adapter?.toLowerCase()).toContain('swiftshader');
  } else {
    expect(smoke.backend).toBe('cpu');
    expect(smoke.fallbackReason).toBeTruthy();
    console.log(`[e2e] CPU fallback: ${smoke.fallbackReason}`);
  }
  expect(smoke.csrDiff).toBeLessThan(1e-4);
  expect(smoke.nmDiff).toBeLessThan(1e-4);
  expect(smoke.maxAbsDiff).toBeLessThan(1e-4);
  expect(smoke.ok).toBe(true);
  await expect(page.locator('#out')).toContainText('"ok": true');
});
