/**
 * The benchmark's peer implementations (bench/peers.ts) compute Y = A·X
 * correctly, time without error, and the tfjs-webgpu peer really runs on
 * wgsparse's own GPUDevice.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, test } from 'vitest';
import { createMathjsPeer, createTfjsCpuPeer, createTfjsWebgpuPeer, type Peer } from '../bench/peers.js';
import { CSRMatrix, DenseMatrix } from '../src/index.js';
import { gpuEngine } from './helpers/engines.js';

const ROWS = 37;
const K = 50;
const BATCH = 9;
const TOL = 1e-4;

/** Naive triple loop in float64. */
function naiveMatMul(A: DenseMatrix, X: DenseMatrix): Float64Array {
  const out = new Float64Array(A.rows * X.cols);
  for (let i = 0; i < A.rows; i++) {
    for (let j = 0; j < X.cols; j++) {
      let s = 0;
      for (let k = 0; k < A.cols; k++) s += A.get(i, k) * X.get(k, j);
      out[i * X.cols + j] = s;
    }
  }
  return out;
}

function expectAgrees(actual: Float32Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst).toBeLessThanOrEqual(TOL);
}

/** Prepares A·X on the peer, checks the result and that run() times. */
async function checkPeer(peer: Peer, A: DenseMatrix | CSRMatrix, X: DenseMatrix): Promise<void> {
  const dense = A instanceof CSRMatrix ? A.toDense() : A;
  const prepared = await peer.prepare(A, X);
  try {
    const y = await prepared.result();
    expect(y).toBeInstanceOf(Float32Array);
    expectAgrees(y, naiveMatMul(dense, X));
    const ms = await prepared.run(3);
    expect(Number.isFinite(ms)).toBe(true);
    expect(ms).toBeGreaterThan(0);
    // Still correct after timing (run must not disturb the operands).
    expectAgrees(await prepared.result(), naiveMatMul(dense, X));
  } finally {
    prepared.dispose();
  }
  await expect(prepared.run(1)).rejects.toThrow(/disposed/);
}

// Entries in [-1, 1]: 'uniform' init draws U(-limit, limit) with limit ≤ 1.
const Acsr = CSRMatrix.random({ rows: ROWS, cols: K, density: 0.2, seed: 3, init: 'uniform' });
const Adense = DenseMatrix.random(ROWS, K, { seed: 4 });
const X = DenseMatrix.random(K, BATCH, { seed: 5 });

describe('benchmark peers', () => {
  test('operands lie in [-1, 1] and the CSR matrix is really sparse', () => {
    for (const v of [...Acsr.values, ...Adense.data, ...X.data]) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    expect(Acsr.nnz).toBeGreaterThan(0);
    expect(Acsr.density).toBeLessThan(0.5);
  });

  test('mathjs sparse multiply (CSR A)', async () => {
    const peer = createMathjsPeer();
    expect([peer.impl, peer.backend]).toEqual(['mathjs', 'cpu']);
    await checkPeer(peer, Acsr, X);
  });

  test('mathjs sparse multiply (dense A, sparsified)', async () => {
    await checkPeer(createMathjsPeer(), Acsr.toDense(), X);
  });

  test('tfjs-cpu matMul', async () => {
    const peer = await createTfjsCpuPeer();
    expect([peer.impl, peer.backend]).toEqual(['tfjs-cpu', 'cpu']);
    await checkPeer(peer, Adense, X);
    await checkPeer(peer, Acsr, X);
  });

  test('tfjs-webgpu matMul runs on the engine’s own GPUDevice', async () => {
    const engine = await gpuEngine();
    const device = engine.device!;
    expect(device).toBeDefined();
    const peer = await createTfjsWebgpuPeer(device);
    try {
      expect([peer.impl, peer.backend]).toEqual(['tfjs-webgpu', 'webgpu']);
      expect(peer.tfjsDevice).toBe(device);
      await checkPeer(peer, Adense, X);
      await checkPeer(peer, Acsr, X);
      expect(tf.getBackend()).toBe('webgpu');
      expect(peer.tfjsDevice).toBe(device);
      // The stand-in navigator used to construct the backend was removed again.
      expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
    } finally {
      peer.dispose();
    }
  });

  test('the tfjs WebGPU backend lives while some tfjs-webgpu peer does', async () => {
    const device = (await gpuEngine()).device!;
    const first = await createTfjsWebgpuPeer(device);
    const second = await createTfjsWebgpuPeer(device);
    first.dispose();
    expect(() => first.tfjsDevice).toThrow(/disposed/);
    // Still usable through the second peer.
    const prepared = await second.prepare(Adense, X);
    expectAgrees(await prepared.result(), naiveMatMul(Adense, X));
    prepared.dispose();
    second.dispose();
    expect(tf.findBackendFactory('webgpu')).toBeNull();
    // A later peer registers it again.
    const third = await createTfjsWebgpuPeer(device);
    expect(third.tfjsDevice).toBe(device);
    await checkPeer(third, Adense, X);
    third.dispose();
  });

  test('tfjs-cpu and tfjs-webgpu peers coexist in one process', async () => {
    const engine = await gpuEngine();
    const gpuPeer = await createTfjsWebgpuPeer(engine.device!);
    const cpuPeer = await createTfjsCpuPeer();
    const onGpu = await gpuPeer.prepare(Adense, X);
    const onCpu = await cpuPeer.prepare(Adense, X);
    try {
      const ref = naiveMatMul(Adense, X);
      // Interleave: each call must switch tfjs to its own backend.
      expectAgrees(await onGpu.result(), ref);
      expect(tf.getBackend()).toBe('webgpu');
      expectAgrees(await onCpu.result(), ref);
      expect(tf.getBackend()).toBe('cpu');
      expect(await onGpu.run(2)).toBeGreaterThan(0);
      expect(tf.getBackend()).toBe('webgpu');
      expect(await onCpu.run(2)).toBeGreaterThan(0);
      expectAgrees(await onGpu.result(), ref);
    } finally {
      onGpu.dispose();
      onCpu.dispose();
      gpuPeer.dispose();
    }
  });

  test('shape mismatch is refused by every peer', async () => {
    const engine = await gpuEngine();
    const bad = DenseMatrix.random(K + 1, BATCH, { seed: 6 });
    const peers = [createMathjsPeer(), await createTfjsCpuPeer(), await createTfjsWebgpuPeer(engine.device!)];
    for (const peer of peers) await expect(peer.prepare(Adense, bad)).rejects.toThrow(/rows/);
    for (const peer of peers) peer.dispose?.();
  });
});

afterAll(() => {
  // No tensors leak from prepared peers (all were disposed).
  expect(tf.memory().numTensors).toBe(0);
});
