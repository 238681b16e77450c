import type { DenseMatrix, Engine } from '../../src/index.js';
import { expectClose, KERNEL_TOL } from './reference.js';

/**
 * One product run on the WebGPU and the CPU engine, checked three ways to
 * KERNEL_TOL of `scale` (the Σ|terms| of each output): each engine against
 * the float64 reference, and the two engines against each other, so a kernel
 * and its CPU twin cannot both drift the same way inside the reference's
 * tolerance. Returns the GPU's result for the caller's shape checks.
 */
export async function expectEnginesAgree<R extends DenseMatrix | Float32Array>(
  engines: { gpu: Engine; cpu: Engine },
  label: string,
  run: (engine: Engine) => Promise<R>,
  reference: ArrayLike<number>,
  scale: ArrayLike<number> | number,
): Promise<R> {
  const [g, c] = await Promise.all([run(engines.gpu), run(engines.cpu)]);
  const values = (r: R): Float32Array => (r instanceof Float32Array ? r : r.data);
  expectClose(values(g), reference, scale, `${label}: gpu vs reference`, KERNEL_TOL);
  expectClose(values(c), reference, scale, `${label}: cpu vs reference`, KERNEL_TOL);
  expectClose(values(g), values(c), scale, `${label}: gpu vs cpu`, KERNEL_TOL);
  return g;
}
