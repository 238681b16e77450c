import { CSRMatrix } from '../src/index.js';
import { pruneCsrCpu } from '../kernels/set/prune-csr.js';
import { setKeepFlagsCpu } from '../kernels/set/prune.js';
import { regrowCsrCpu } from '../kernels/set/regrow.js';
import { evolveSetCpu } from '../kernels/set/evolve.js';
export async function main(): Promise<number> {
  const W = CSRMatrix.random({ rows: 4096, cols: 4096, density: 0.06, seed: 21 });
  const state = new Float32Array(W.nnz);
  for (let it = 0; it < 4; it++) {
    const t0 = performance.now();
    setKeepFlagsCpu(W.values, 0.3);
    const t1 = performance.now();
    const kept = pruneCsrCpu(W, state, 0.3);
    const t2 = performance.now();
    regrowCsrCpu(kept.W, kept.state, W.nnz, it, 0.03);
    const t3 = performance.now();
    evolveSetCpu(W, { zeta: 0.3, seed: it });
    const t4 = performance.now();
    console.log(`flags ${(t1 - t0).toFixed(0)} prune(total) ${(t2 - t1).toFixed(0)} regrow ${(t3 - t2).toFixed(0)} evolve ${(t4 - t3).toFixed(0)}`);
  }
  return 0;
}
