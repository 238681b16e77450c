import type { OperationScope } from '../../src/gpu/gpu-context.js';
import type { DenseMatrix } from '../../src/formats/dense.js';
import type { ForwardOutputs, StageActivation } from '../spmm.js';
import type { BiasState, OptimizerStep } from '../elementwise.js';

/** One array of a resident operand's state: read back into a host array of this type and length. */
export interface ResidentPart {
  buffer: GPUBuffer;
  type: 'f32' | 'u32';
  length: number;
}

/**
 * A weight matrix W (out × in) living in GPU buffers with its per-weight
 * training state, in one format (CSR, N:M, dense): the seam between a layer
 * and the kernels. A layer records its passes through it and never names a
 * kernel; the operand owns its buffers until release().
 */
export interface ResidentOperand {
  /** Records Y (out × batch) = W·X; no transfers. */
  encodeForward(s: OperationScope, batch: number, X: GPUBuffer, Y: GPUBuffer): void;
  /** Records dX (in × batch) = Wᵀ·dY; no transfers. */
  encodeBackward(s: OperationScope, batch: number, dY: GPUBuffer, dX: GPUBuffer): void;
  /** Records alpha · (dY·Xᵀ) at the stored weights into `state.gradient`. */
  encodeGradient(s: OperationScope, batch: number, alpha: number, dY: GPUBuffer, X: GPUBuffer): void;
  // A training step's fused passes (kernels/spmm.ts, kernels/sddmm.ts): a
  // format without them is trained by the separate passes above and the
  // layer's addBias / activate / derive / optimizer passes.
  /** Records Z = W·X + b and, with `out.activation`, A = f(Z) · mask, in the product's output pass. */
  encodeForwardStage?(s: OperationScope, batch: number, X: GPUBuffer, out: ForwardOutputs): void;
  /** Records dZ = (Wᵀ·dY) ⊙ f'(Z) ⊙ mask into Z (the previous stage's pre-activations on entry), reading W before any update. */
  encodeBackwardStage?(s: OperationScope, batch: number, dY: GPUBuffer, Z: GPUBuffer, act: StageActivation<GPUBuffer>): void;
  /** Records the weight and bias gradients (alpha · dY·Xᵀ, alpha · Σ dY) applied by the optimizer where they are computed. */
  encodeGradientStep?(s: OperationScope, batch: number, alpha: number, dY: GPUBuffer, X: GPUBuffer, bias: BiasState<GPUBuffer>, o: OptimizerStep, t: GPUBuffer): void;
  /** The per-weight arrays an optimizer step updates (aligned with the stored weights; current generation). */
  readonly state: { values: GPUBuffer; gradient: GPUBuffer; velocity: GPUBuffer; second: GPUBuffer };
  /** The weights with their structure and optimizer moments, in the order the format's host copy takes them. */
  parts(): ResidentPart[];
  /** Destroys every buffer of the operand. Idempotent. */
  release(): void;
}

/** The CPU twins of a format's passes, over host arrays (the same results as the resident encodings). */
export interface HostPasses<W> {
  /** The stored weights the optimizer updates, aligned with gradient's result. */
  values(W: W): Float32Array;
  forward(W: W, X: DenseMatrix): DenseMatrix;
  backward(W: W, dY: DenseMatrix): DenseMatrix;
  /** alpha · (dY·Xᵀ) at the stored weights, aligned with the format's values. */
  gradient(W: W, X: DenseMatrix, dY: DenseMatrix, alpha: number): Float32Array;
}
