import { expect, type Page, type TestInfo } from '@playwright/test';

// What the e2e specs of the demo pages share. Every page publishes its run
// for scripts the same way, window.__<page>State, __<page>Error and
// __<page>Results (see the top of demo/<page>.ts), so one helper waits for
// any of them.

export type DemoPage = 'bench' | 'train' | 'million' | 'select';

type Results<P extends DemoPage> = NonNullable<Window[`__${P}Results`]>;

/** The 'webgpu' project trains on SwiftShader; 'no-webgpu' must fall back to the CPU. */
export const onGpu = (testInfo: TestInfo): boolean => testInfo.project.name === 'webgpu';

/** The uncaught errors the page throws from now on; a spec expects none at its end. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

/** Waits for the page's run to end; fails with the page's error unless it ended 'done'. */
export async function finishedRun<P extends DemoPage>(page: Page, name: P, timeout: number): Promise<Results<P>> {
  // ('stopped' is no state of the bench page, which goes back to 'idle'; listing it costs nothing there.)
  await page.waitForFunction((p: DemoPage) => ['done', 'error', 'stopped'].includes(window[`__${p}State`] ?? ''), name, { timeout, polling: 250 });
  const { state, error } = await page.evaluate((p: DemoPage) => ({ state: window[`__${p}State`], error: window[`__${p}Error`] }), name);
  expect(error, 'the page reported an error').toBeUndefined();
  expect(state).toBe('done');
  return (await page.evaluate((p: DemoPage) => window[`__${p}Results`], name)) as Results<P>;
}

/**
 * Opens `url` (bad parameters and autorun=1): the page must refuse to run,
 * with every message in window.__<page>Error and listed under the form, as
 * the CLI that shares its options would say them.
 */
export async function expectRefusedUrl(page: Page, name: 'bench' | 'train', url: string, messages: readonly string[]): Promise<void> {
  await page.goto(url);
  await page.waitForFunction((p: DemoPage) => window[`__${p}State`] === 'error', name, { timeout: 60_000 });
  const error = await page.evaluate((p: DemoPage) => window[`__${p}Error`], name);
  for (const message of messages) {
    expect(error).toContain(message);
    await expect(page.locator('#form-errors')).toContainText(message);
  }
  expect(await page.evaluate((p: DemoPage) => window[`__${p}Results`], name), 'nothing ran').toBeUndefined();
}
