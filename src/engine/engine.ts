import { gemm } from '../../kernels/gemm.js';
import { wasmGatherAvailable } from '../../kernels/wasm/spmm-wasm.js';
import type { HostKernel } from '../gpu/kernel.js';
import { sddmmCsr, sddmmNM } from '../../kernels/sddmm.js';
import { spmmCsr, spmmCsrT } from '../../kernels/spmm.js';
import { spmmNM, spmmNMT } from '../../kernels/spmm.js';
import { evolveSetCpu, evolveSetGpu } from '../../kernels/set/evolve.js';
import type { EvolveSetOptions, EvolveSetResult, GemmOptions, SddmmOptions, ThreadsReason } from '../options.js';
import { BackendUnavailableError, DisposedError, InvalidArgumentError } from '../errors.js';
import type { CSRMatrix } from '../formats/csr.js';
import type { DenseMatrix } from '../formats/dense.js';
import type { NMMatrix } from '../formats/nm.js';
import { acquireDevice, type AdapterInfo } from '../gpu/acquire-device.js';
import { GpuContext, type PreparedOperation } from '../gpu/gpu-context.js';
import { KERNEL_PROFILE_OPTIONS, type KernelProfileChoice, type KernelProfileOption } from '../gpu/kernel-profile.js';
import { stagingSession } from '../../kernels/wasm/instance.js';
import { acquireThreads, availableCores, MAX_THREADS, useThreads, type ThreadLease } from '../../kernels/wasm/pool.js';

export type BackendName = 'webgpu' | 'cpu';

const kernels = { spmmCsr, spmmCsrT, sddmmCsr, spmmNM, spmmNMT, sddmmNM, gemm } as const;
export type KernelName = keyof typeof kernels;
export type KernelArgs<K extends KernelName> = Parameters<(typeof kernels)[K]['validate']>;
export type KernelResult<K extends KernelName> = ReturnType<(typeof kernels)[K]['cpu']>;

export interface EngineOptions {
  /** 'auto' (default) uses WebGPU when an adapter exists and the CPU otherwise. */
  backend?: 'auto' | BackendName;
  /** A GPU object to use instead of navigator.gpu / the `webgpu` package. */
  gpu?: GPU;
  /** An existing device to borrow (the engine then never destroys it). */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
  /** Cap on any single GPU buffer, below the device's own limit (bytes). */
  maxBufferBytes?: number;
  /**
   * The shape of the sparse products on WebGPU: 'auto' (default) picks
   * 'emulation' on a software adapter such as SwiftShader (the shapes tuned
   * there) and 'gpu' on a hardware one (warp-per-row gathers and
   * warp-per-entry SDDMM, coalesced along the batch); the others force one.
   * Same results within float tolerance; see engine.kernelProfile.
   */
  kernels?: KernelProfileOption;
  /**
   * Threads the CPU backend splits its products over (the caller's own among
   * them), 1 … 256; default: the available cores (os.availableParallelism(),
   * navigator.hardwareConcurrency). Results are the same bytes for any count.
   * Needs shared memory: always in Node, in a browser only on a
   * cross-origin-isolated page; see engine.threads and engine.threadsReason.
   */
  threads?: number;
}

/** The CPU backend's threads: how many run, and why only one when more were wanted. */
interface CpuThreads {
  threads: number;
  reason: ThreadsReason | undefined;
  lease: ThreadLease | undefined;
}

async function cpuThreads(requested: number | undefined): Promise<CpuThreads> {
  const wanted = requested ?? (await availableCores());
  const { lease, reason } = await acquireThreads(wanted);
  return { threads: lease ? wanted : 1, reason: wanted > 1 && !lease ? reason : undefined, lease };
}

/**
 * The entry point: owns a backend (a WebGPU device or the CPU) and runs every
 * kernel on it with the same semantics. Create with createEngine().
 */
export class Engine {
  private disposed = false;

  private constructor(
    readonly backend: BackendName,
    /** Why 'auto' chose the CPU (undefined when it did not). */
    readonly fallbackReason: string | undefined,
    readonly adapterInfo: AdapterInfo | undefined,
    private readonly gpuContext: GpuContext | undefined,
    /** Which kernel shapes WebGPU runs here and why (undefined on the CPU backend); `options.kernels` overrides. */
    readonly kernelProfile: KernelProfileChoice | undefined = undefined,
    private readonly cpu: CpuThreads = { threads: 1, reason: undefined, lease: undefined },
  ) {}

  /** Threads the CPU backend's products run on (1 on WebGPU); `options.threads`, or the available cores. */
  get threads(): number {
    return this.cpu.threads;
  }

  /** Why `threads` is 1 although more were asked for or are available (undefined otherwise); see ThreadsReason. */
  get threadsReason(): ThreadsReason | undefined {
    return this.cpu.reason;
  }

  /** @internal use createEngine() */
  static async create(options: EngineOptions = {}): Promise<Engine> {
    const backend = options.backend ?? 'auto';
    if (!['auto', 'webgpu', 'cpu'].includes(backend)) {
      throw new InvalidArgumentError('options.backend', `must be 'auto', 'webgpu' or 'cpu', got ${String(backend)}`);
    }
    const max = options.maxBufferBytes;
    if (max !== undefined && !(Number.isSafeInteger(max) && max >= 4)) {
      throw new InvalidArgumentError('options.maxBufferBytes', `must be an integer ≥ 4, got ${String(max)}`);
    }
    const kernelsOption = options.kernels ?? 'auto';
    if (!KERNEL_PROFILE_OPTIONS.includes(kernelsOption)) {
      throw new InvalidArgumentError('options.kernels', `must be 'auto', 'emulation' or 'gpu', got ${String(kernelsOption)}`);
    }
    const threads = options.threads;
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
      throw new InvalidArgumentError('options.threads', `must be an integer from 1 to ${MAX_THREADS}, got ${String(threads)}`);
    }
    if (backend === 'cpu') return new Engine('cpu', undefined, undefined, undefined, undefined, await cpuThreads(threads));
    try {
      const acquired = await acquireDevice({
        ...(options.gpu ? { gpu: options.gpu } : {}),
        ...(options.device ? { device: options.device } : {}),
        ...(options.powerPreference ? { powerPreference: options.powerPreference } : {}),
        kernels: kernelsOption,
      });
      const ctx = new GpuContext(acquired.device, acquired.owned, acquired.gpu, max, acquired.kernelProfile.profile);
      const reason = threads !== undefined && threads > 1 ? 'webgpu-backend' : undefined;
      return new Engine('webgpu', undefined, acquired.adapterInfo, ctx, acquired.kernelProfile, { threads: 1, reason, lease: undefined });
    } catch (e) {
      if (backend === 'webgpu') throw e;
      const reason = e instanceof BackendUnavailableError ? e.message : `WebGPU initialisation failed: ${e instanceof Error ? e.message : String(e)}`;
      return new Engine('cpu', reason, undefined, undefined, undefined, await cpuThreads(threads));
    }
  }

  /** The WebGPU device in use (undefined on the CPU backend). */
  get device(): GPUDevice | undefined {
    return this.gpuContext?.device;
  }

  /** @internal The GPU context layers keep their resident buffers in (undefined on the CPU). */
  gpuContextForLayers(): GpuContext | undefined {
    if (this.disposed) throw new DisposedError('engine');
    this.gpuContext?.assertUsable();
    // A model about to run its CPU passes: with this engine's threads.
    useThreads(this.cpu.lease);
    return this.gpuContext;
  }

  /** Largest GPU buffer an operation may create (Infinity on the CPU). */
  get maxBufferBytes(): number {
    return this.gpuContext?.maxBufferBytes ?? Number.POSITIVE_INFINITY;
  }

  /**
   * What the CPU backend's sparse and dense products run on here:
   * 'wasm-simd' (WebAssembly SIMD, for batches that are a multiple of 4) or
   * 'javascript' where WebAssembly SIMD is missing. Same results either way.
   */
  get cpuKernels(): 'wasm-simd' | 'javascript' {
    return wasmGatherAvailable() ? 'wasm-simd' : 'javascript';
  }

  /** Compiled pipelines held by this engine (for tests and diagnostics). */
  get pipelineCount(): number {
    return this.gpuContext?.pipelineCount ?? 0;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Y = W · X. W: CSR rows × cols; X: cols × batch (feature-major). */
  spmmCsr(W: CSRMatrix, X: DenseMatrix): Promise<DenseMatrix> {
    return this.execute(spmmCsr, W, X);
  }

  /** dX = Wᵀ · dY. dY: rows × batch → cols × batch. */
  spmmCsrT(W: CSRMatrix, dY: DenseMatrix): Promise<DenseMatrix> {
    return this.execute(spmmCsrT, W, dY);
  }

  /** alpha · (dY · Xᵀ) at W's nonzeros, aligned with W.values. */
  sddmmCsr(W: CSRMatrix, dY: DenseMatrix, X: DenseMatrix, options?: SddmmOptions): Promise<Float32Array> {
    return this.execute(sddmmCsr, W, dY, X, options);
  }

  /** Y = W · X for an N:M W. */
  spmmNM(W: NMMatrix, X: DenseMatrix): Promise<DenseMatrix> {
    return this.execute(spmmNM, W, X);
  }

  /** dX = Wᵀ · dY for an N:M W. */
  spmmNMT(W: NMMatrix, dY: DenseMatrix): Promise<DenseMatrix> {
    return this.execute(spmmNMT, W, dY);
  }

  /** alpha · (dY · Xᵀ) at W's stored slots, aligned with W.values. */
  sddmmNM(W: NMMatrix, dY: DenseMatrix, X: DenseMatrix, options?: SddmmOptions): Promise<Float32Array> {
    return this.execute(sddmmNM, W, dY, X, options);
  }

  /** C = alpha · op(A) · op(B), dense. */
  gemm(A: DenseMatrix, B: DenseMatrix, options?: GemmOptions): Promise<DenseMatrix> {
    return this.execute(gemm, A, B, options);
  }

  /**
   * One Sparse Evolutionary Training update of W: removes the fraction ζ of
   * the smallest positive and of the largest negative weights (the reference
   * implementation's rule) and regrows as many connections at uniformly
   * random absent positions. nnz is unchanged; optimizer state moves with its
   * weight, new weights start with zero state. On WebGPU the thresholds,
   * compaction and regrowth run on the GPU (a few counters are read back);
   * for the same seed both backends return the same layer. As in the
   * reference, weights equal to a threshold are all removed and stored zeros
   * are never kept; ζ = 0 removes nothing (see setKeepFlagsCpu).
   */
  async evolveSet(W: CSRMatrix, options: EvolveSetOptions): Promise<EvolveSetResult> {
    if (this.disposed) throw new DisposedError('engine');
    if (!this.gpuContext) return evolveSetCpu(W, options);
    this.gpuContext.assertUsable();
    return evolveSetGpu(this.gpuContext, W, options);
  }

  /**
   * Uploads a kernel's operands and compiles its pipeline once, for encoding
   * it many times (benchmarks, repeated products with the same operands).
   * WebGPU backend only; the caller disposes the result.
   */
  async prepare<K extends KernelName>(name: K, ...args: KernelArgs<K>): Promise<PreparedOperation<KernelResult<K>>> {
    if (this.disposed) throw new DisposedError('engine');
    if (!this.gpuContext) throw new BackendUnavailableError(`prepare('${name}') needs the webgpu backend; this engine runs on the CPU`);
    const kernel = kernels[name] as unknown as HostKernel<KernelArgs<K>, KernelResult<K>>;
    kernel.validate(...args);
    return this.gpuContext.prepare(kernel.name, (scope) => kernel.plan(scope, ...args));
  }

  /** Releases the device (if the engine created it), every cached pipeline and the CPU worker threads. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.gpuContext?.dispose();
    this.cpu.lease?.release();
  }

  private async execute<Args extends unknown[], Result>(kernel: HostKernel<Args, Result>, ...args: Args): Promise<Result> {
    if (this.disposed) throw new DisposedError('engine');
    this.gpuContext?.assertUsable();
    if (!this.gpuContext) {
      useThreads(this.cpu.lease);
      // The operand checks' staged copies are the ones the product reads.
      return stagingSession(() => {
        kernel.validate(...args);
        return kernel.cpu(...args);
      });
    }
    kernel.validate(...args);
    return this.gpuContext.run(kernel.name, (scope) => kernel.plan(scope, ...args));
  }
}

/** Creates an engine: WebGPU where an adapter exists, else the CPU (see fallbackReason). */
export function createEngine(options?: EngineOptions): Promise<Engine> {
  return Engine.create(options);
}
