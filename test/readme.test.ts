/**
 * The README's usage example, run verbatim against the built package (only
 * `process.exit` is appended, since Dawn keeps Node alive while it exists).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from 'vitest';

const root = resolve(__dirname, '..');

test('the README quick-start example runs and prints what it promises', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const match = /<!-- example:quick-start[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme);
  expect(match, 'README has the marked example block').not.toBeNull();
  const dir = mkdtempSync(join(tmpdir(), 'wgsparse-readme-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'wgsparse'), 'dir');
    symlinkSync(join(root, 'node_modules', 'webgpu'), join(dir, 'node_modules', 'webgpu'), 'dir');
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    // The example is TypeScript without type-only syntax, so it runs as JS.
    writeFileSync(join(dir, 'example.mjs'), `${match![1]}\nprocess.exit(0);\n`);
    const out = execFileSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8', env: process.env }).trim().split('\n');
    expect(out[0]).toMatch(/^webgpu /);
    expect(out[1]).toBe('1000 32 784 true 1000 true');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
