import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const projectRoot = resolve(__dirname, '..', '..');

/**
 * Runs `code` as an ES module in a scratch project that depends on the built
 * wgsparse by name (node_modules/wgsparse → this checkout) — what a consumer
 * sees. `process.exit` is appended since Dawn keeps Node alive. Returns stdout lines.
 */
export function runAsConsumer(code: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'wgsparse-consumer-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(projectRoot, join(dir, 'node_modules', 'wgsparse'), 'dir');
    symlinkSync(join(projectRoot, 'node_modules', 'webgpu'), join(dir, 'node_modules', 'webgpu'), 'dir');
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    writeFileSync(join(dir, 'main.mjs'), `${code}\nprocess.exit(0);\n`);
    return execFileSync(process.execPath, ['main.mjs'], { cwd: dir, encoding: 'utf8', env: process.env }).trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
