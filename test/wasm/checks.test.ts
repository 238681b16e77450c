/**
 * The WebAssembly SIMD kernels of the operand checks (kernels/wasm/checks.wat,
 * used by kernels/checks.ts): the finiteness scan against a scalar loop, the
 * structure fingerprint against its JavaScript definition.
 */
import { describe, expect, test } from 'vitest';
import { allFiniteWasm, indexFingerprintWasm } from '../../kernels/wasm/checks-wasm.js';
import { stagingSession, wasmMemoryBytes } from '../../kernels/wasm/instance.js';
import { checkDense } from '../../kernels/checks.js';
import { DenseMatrix, InvalidArgumentError, RandomStream } from '../../src/index.js';
import { indexFingerprint } from '../../src/formats/fingerprint.js';
import { withoutWasm } from '../helpers/wasm.js';

describe('WebAssembly SIMD finiteness scan (operand checks)', () => {
  test('agrees with a scalar loop for NaN, ±Infinity and denormals, in the vector body and the tail', () => {
    for (const length of [4096, 4097, 4103, 5000, 65536]) {
      const a = Float32Array.from({ length }, (_, i) => Math.sin(i) * 1e30);
      a[7] = 1e-45; // denormal: finite
      a[9] = -0; // finite
      expect(allFiniteWasm(a), `length ${length}`).toBe(true);
      for (const at of [0, 5, 8, length - 9, length - 8, length - 1]) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const b = a.slice();
          b[at] = bad;
          expect(allFiniteWasm(b), `length ${length}, ${bad} at ${at}`).toBe(false);
        }
      }
    }
  });

  test('reads a view at its own offset, and leaves short arrays to the JavaScript loop', () => {
    const backing = new Float32Array(10000).fill(1);
    backing[3] = NaN; // outside the view
    expect(allFiniteWasm(backing.subarray(5))).toBe(true);
    expect(allFiniteWasm(backing.subarray(2))).toBe(false);
    expect(allFiniteWasm(new Float32Array(100))).toBeUndefined();
  });

  test('outside a staging session a large operand is scanned in chunks: the shared memory does not grow to hold it', () => {
    const before = wasmMemoryBytes();
    // Larger than the memory already is, so a whole-operand copy would have to grow it.
    const big = new Float32Array(Math.max(1 << 22, before / 4 + (1 << 22))).fill(0.5);
    expect(allFiniteWasm(big)).toBe(true);
    big[big.length - 1] = NaN; // in the last chunk
    expect(allFiniteWasm(big)).toBe(false);
    expect(wasmMemoryBytes()).toBeLessThan(big.byteLength);
    // Inside a session (a CPU product follows) the operand is staged whole, for the product to reuse.
    big[big.length - 1] = 1;
    expect(stagingSession(() => allFiniteWasm(big))).toBe(true);
    expect(wasmMemoryBytes()).toBeGreaterThanOrEqual(big.byteLength);
  });

  test('a non-finite value in a large operand is still reported by argument and position', () => {
    const X = DenseMatrix.random(200, 64, { seed: 1 });
    X.data[130 * 64 + 5] = NaN;
    expect(() => checkDense('X', X)).toThrow(InvalidArgumentError);
    expect(() => checkDense('X', X)).toThrow(/X.*must be finite, found NaN at \(130, 5\)/);
  });
});

describe('the fingerprint itself', () => {
  test('the WebAssembly SIMD twin gives indexFingerprint’s value for every length and inside or outside a staging session', () => {
    const rng = new RandomStream(21);
    for (const n of [0, 1, 3, 4, 5, 4095, 4096, 4099, 70_001, (1 << 18) + 7, (1 << 19) + 2]) {
      const a = Uint32Array.from({ length: n }, () => rng.nextInt(0x7fffffff) * 2 + (rng.nextInt(2) ? 1 : 0));
      const expected = indexFingerprint(a);
      expect(indexFingerprintWasm(a), `length ${n}`).toBe(expected);
      expect(stagingSession(() => indexFingerprintWasm(a)), `length ${n} in a session`).toBe(expected);
      // Any single change is seen (the lanes are bijective steps).
      if (n > 0) {
        const k = rng.nextInt(n);
        a[k] = a[k]! ^ (1 << rng.nextInt(32));
        expect(indexFingerprintWasm(a)).not.toBe(expected);
        expect(indexFingerprint(a)).not.toBe(expected);
      }
    }
    const a = Uint32Array.from({ length: 10_000 }, (_, i) => i * 7);
    expect(withoutWasm(() => indexFingerprintWasm(a))).toBe(indexFingerprint(a));
  });
});
