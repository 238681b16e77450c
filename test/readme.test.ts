/**
 * The README's marked examples, run verbatim against the built package,
 * imported by name as a consumer would (TypeScript without type-only syntax
 * runs as JavaScript).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { projectRoot, runAsConsumer } from './helpers/consumer.js';

function example(name: string): string {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- example:${name}[^>]*-->\\s*\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme);
  expect(match, `README has the marked example block ${name}`).not.toBeNull();
  return match![1]!;
}

test('the README quick-start example runs and prints what it promises', () => {
  const out = runAsConsumer(example('quick-start'));
  expect(out[0]).toMatch(/^webgpu /);
  expect(out[1]).toBe('1000 32 784 true 1000 true');
});

test('the README layer example runs and evolves the layer', () => {
  const out = runAsConsumer(example('layer'));
  expect(out.at(-1)).toMatch(/^300 784 true \d+ of 235500 parameters$/);
});

test('the README model example trains, evolves, saves and reloads a sparse network', () => {
  const out = runAsConsumer(example('model'));
  expect(out.filter((l) => l.startsWith('epoch '))).toHaveLength(4);
  expect(out.at(-1)).toMatch(/^true \d+ of \d+ parameters$/);
});
