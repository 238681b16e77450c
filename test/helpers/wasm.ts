import { expect } from 'vitest';
import { setWasmKernelsEnabled } from '../../kernels/wasm/instance.js';

/** Runs `fn` with the CPU backend's WebAssembly kernels switched off (the JavaScript loops). */
export function withoutWasm<T>(fn: () => T): T {
  setWasmKernelsEnabled(false);
  try {
    return fn();
  } finally {
    setWasmKernelsEnabled(true);
  }
}

/** `run` gives the same float32 bits with the WebAssembly kernels and with the JavaScript fallbacks, and not all zeros. */
export function expectSameBitsWithoutWasm(run: () => Float32Array): void {
  const simd = run();
  const plain = withoutWasm(run);
  expect(Array.from(plain, (v) => v.toString())).toEqual(Array.from(simd, (v) => v.toString()));
  expect(simd.some((v) => v !== 0)).toBe(true);
}
