// Runs one CSR and one N:M kernel with backend 'auto' in the page and checks
// them against a naive loop over the dense forms; the result lands on
// window.__smoke for the Playwright test.
import { createEngine, CSRMatrix, DenseMatrix, NMMatrix } from '../src/index.js';

function naive(W: DenseMatrix, X: DenseMatrix): Float64Array {
  const out = new Float64Array(W.rows * X.cols);
  for (let i = 0; i < W.rows; i++) for (let k = 0; k < W.cols; k++) for (let j = 0; j < X.cols; j++) out[i * X.cols + j]! += W.get(i, k) * X.get(k, j);
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Number.POSITIVE_INFINITY;
}

async function run() {
  const engine = await createEngine({ backend: 'auto' });
  const W = CSRMatrix.random({ rows: 50, cols: 40, density: 0.2, seed: 1, init: 'uniform' });
  const X = DenseMatrix.random(40, 7, { seed: 2 });
  const csrDiff = maxAbsDiff((await engine.spmmCsr(W, X)).data, naive(W.toDense(), X));
  const N = NMMatrix.random({ rows: 16, cols: 32, n: 2, m: 4, seed: 3, init: 'uniform' });
  const X2 = DenseMatrix.random(32, 5, { seed: 4 });
  const nmDiff = maxAbsDiff((await engine.spmmNM(N, X2)).data, naive(N.toDense(), X2));
  const a = engine.adapterInfo;
  const result = {
    backend: engine.backend,
    fallbackReason: engine.fallbackReason ?? null,
    adapter: a ? `${a.vendor} ${a.architecture} ${a.description}` : null,
    csrDiff,
    nmDiff,
    maxAbsDiff: Math.max(csrDiff, nmDiff),
    ok: Math.max(csrDiff, nmDiff) < 1e-4,
  };
  engine.dispose();
  return result;
}

declare global {
  interface Window {
    __smoke?: Awaited<ReturnType<typeof run>> | { error: string };
  }
}

run().then(
  (r) => {
    window.__smoke = r;
    document.getElementById('out')!.textContent = JSON.stringify(r, null, 2);
  },
  (e: unknown) => {
    window.__smoke = { error: String(e instanceof Error ? e.stack : e) };
    document.getElementById('out')!.textContent = `error: ${String(e)}`;
  },
);
