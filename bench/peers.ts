/**
 * The "peers" the benchmark compares wgsparse against, behind one interface:
 *
 * - tfjs-webgpu: @tensorflow/tfjs-backend-webgpu dense matMul, on the SAME
 *   GPUDevice as wgsparse (so both share one adapter, driver and queue);
 * - tfjs-cpu: @tensorflow/tfjs-backend-cpu dense matMul;
 * - mathjs: mathjs sparse (CSC) × dense multiply.
 *
 * Every peer computes Y = A · X with A rows × cols (the weight matrix) and X
 * cols × batch. prepare() does all uploads and one warm-up product (shader
 * compilation, first-use allocation), so run() times only the products.
 *
 * tfjs keeps one global engine whose active backend is shared by every caller
 * in the process, so each tfjs operation here first activates its own backend
 * (outside the timed region): tfjs-cpu and tfjs-webgpu peers can coexist.
 */
import * as tf from '@tensorflow/tfjs-core';
// Side-effect import: registers the 'cpu' backend factory and its kernels.
import '@tensorflow/tfjs-backend-cpu';
// Registers the 'webgpu' kernels (and its env flags). In Node, where there is
// no navigator.gpu, it registers no backend factory: we register our own.
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as math from 'mathjs';
import { CSRMatrix, DenseMatrix, DisposedError, ShapeMismatchError } from '../src/index.js';

export interface PreparedPeer {
  /** Runs the product `repeats` times back to back and resolves when all work is finished; returns elapsed wall ms (performance.now) for all repeats. Must not include uploads of the operands or readback of the result. */
  run(repeats: number): Promise<number>;
  /** The result of one product, read back (for checking agreement before timing). Row-major rows × cols Float32Array. */
  result(): Promise<Float32Array>;
  dispose(): void;
}

export interface Peer {
  impl: 'tfjs-webgpu' | 'tfjs-cpu' | 'mathjs';
  backend: 'webgpu' | 'cpu';
  /** Y = A · X. A is the weight matrix (dense for tfjs, CSR for mathjs sparse), X dense (A.cols × batch). */
  prepare(A: DenseMatrix | CSRMatrix, X: DenseMatrix): Promise<PreparedPeer>;
  /** Releases what the peer holds beyond its prepared products (dispose those first). */
  dispose?(): void;
}

/** The tfjs-webgpu peer, with the device tfjs actually runs on (for tests). */
export interface TfjsWebgpuPeer extends Peer {
  impl: 'tfjs-webgpu';
  /** The GPUDevice of the registered tfjs WebGPU backend. */
  readonly tfjsDevice: GPUDevice;
  /** Lets go of tfjs's WebGPU backend; the last peer on it removes it from tfjs. */
  dispose(): void;
}

function checkShapes(A: DenseMatrix | CSRMatrix, X: DenseMatrix): void {
  if (A.cols !== X.rows) throw new ShapeMismatchError('X', `must have A.cols = ${A.cols} rows, got ${X.rows}`);
}

function checkRepeats(repeats: number): void {
  if (!(Number.isSafeInteger(repeats) && repeats >= 1)) throw new RangeError(`repeats must be an integer ≥ 1, got ${repeats}`);
}

// ---------------------------------------------------------------------------
// tfjs (both backends)

let tfjsConfigured = false;

function configureTfjs(): void {
  if (tfjsConfigured) return;
  tfjsConfigured = true;
  // PROD only silences tfjs's warn()/log(), notably the cpu backend's
  // "install tfjs-node" banner on first use in Node; it changes no maths.
  tf.enableProdMode();
  // The webgpu backend hands ops whose inputs still live on the CPU and are
  // small (< WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD elements) to the CPU. Setting
  // that threshold now would be too late (it is read once, when the module
  // loads), but this flag, checked on every op, turns the handoff off.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
}

/** Makes `name` tfjs's active backend, checking that it really is the one. */
async function activate(name: 'cpu' | 'webgpu'): Promise<void> {
  if (tf.getBackend() !== name && !(await tf.setBackend(name))) {
    throw new Error(`tfjs could not initialise its '${name}' backend`);
  }
  if (tf.getBackend() !== name) throw new Error(`tfjs's active backend is '${tf.getBackend()}', expected '${name}'`);
}

interface TfjsHooks {
  backendName: 'cpu' | 'webgpu';
  /** Resolves when all work issued so far has finished. */
  finish(): Promise<void>;
  /** Called on the warm-up product, before it is disposed. */
  checkWarmup?(operands: tf.Tensor[], y: tf.Tensor): void;
}

async function prepareTfjs(A: DenseMatrix | CSRMatrix, X: DenseMatrix, hooks: TfjsHooks): Promise<PreparedPeer> {
  checkShapes(A, X);
  const dense = A instanceof CSRMatrix ? A.toDense() : A;
  await activate(hooks.backendName);
  // Copies: tfjs may keep a reference to the array it is given.
  const a = tf.tensor2d(dense.data.slice(), [dense.rows, dense.cols], 'float32');
  const x = tf.tensor2d(X.data.slice(), [X.rows, X.cols], 'float32');
  let disposed = false;
  const live = (): void => {
    if (disposed) throw new DisposedError('this prepared peer');
  };

  // Warm-up: uploads the operands and compiles/caches the matMul program.
  const warm = tf.matMul(a, x);
  try {
    hooks.checkWarmup?.([a, x], warm);
  } catch (e) {
    tf.dispose([warm, a, x]);
    throw e;
  }
  warm.dispose();
  await hooks.finish();

  return {
    async run(repeats: number): Promise<number> {
      live();
      checkRepeats(repeats);
      await activate(hooks.backendName);
      await hooks.finish(); // start from an idle device
      const t0 = performance.now();
      // Outputs are disposed right away: nothing reads them, and keeping them
      // would only hold memory. Work already recorded still runs.
      for (let i = 0; i < repeats; i++) tf.matMul(a, x).dispose();
      await hooks.finish();
      return performance.now() - t0;
    },
    async result(): Promise<Float32Array> {
      live();
      await activate(hooks.backendName);
      const y = tf.matMul(a, x);
      try {
        return new Float32Array(await y.data<'float32'>());
      } finally {
        y.dispose();
      }
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      a.dispose();
      x.dispose();
    },
  };
}

// ---------------------------------------------------------------------------
// tfjs-webgpu

/** The tfjs WebGPU backend we registered, its device, and how many peers use it. */
let registeredWebgpu: { device: GPUDevice; backend: WebGPUBackend; users: number } | undefined;

/**
 * tfjs-backend-webgpu uses the WebGPU globals (GPUBuffer for instanceof,
 * GPUBufferUsage, GPUMapMode) at every op. Browsers have them; in Node they
 * come from Dawn's `webgpu` package. wgsparse's engine installs them when it
 * finds Dawn itself, so this only matters for a device made some other way.
 * They stay installed (tfjs needs them for as long as it runs).
 */
async function ensureWebgpuGlobals(): Promise<void> {
  if (typeof GPUBuffer !== 'undefined') return;
  const specifier = 'webgpu'; // a variable keeps bundlers off this Node-only module
  const dawn = (await import(/* @vite-ignore */ specifier)) as { globals: Record<string, unknown> };
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
}

/**
 * WebGPUBackend's constructor throws unless `navigator.gpu` is truthy, and it
 * never uses it otherwise (it is given the device). Node 20 has no navigator
 * and Node ≥ 21 has one without `gpu`, so around the constructor alone we
 * put a stand-in navigator, then restore whatever was there before.
 */
function withNavigatorGpu<T>(make: () => T): T {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu) return make();
  const previous = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: {} }, configurable: true, writable: true });
  try {
    return make();
  } finally {
    if (previous) Object.defineProperty(globalThis, 'navigator', previous);
    else delete g.navigator;
  }
}

/**
 * Registers (once per device) a tfjs 'webgpu' backend built on `device`. The
 * kernels are registered under the name 'webgpu', so the backend must carry
 * that name; any earlier 'webgpu' backend (tfjs's own factory in a browser,
 * or ours on another device) is removed and disposed. So only one device at
 * a time can serve tfjs-webgpu peers in a process.
 */
async function acquireWebgpuBackend(device: GPUDevice): Promise<WebGPUBackend> {
  if (registeredWebgpu?.device === device) {
    registeredWebgpu.users++;
    return registeredWebgpu.backend;
  }
  await ensureWebgpuGlobals();
  const backend = withNavigatorGpu(() => new WebGPUBackend(device, device.adapterInfo));
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  if (!tf.registerBackend('webgpu', () => backend)) throw new Error("could not register tfjs's 'webgpu' backend");
  registeredWebgpu = { device, backend, users: 1 };
  return backend;
}

/**
 * When its last peer lets go, removes our backend from tfjs, which destroys
 * tfjs's pool of GPU buffers (the device itself is left alone).
 */
function releaseWebgpuBackend(backend: WebGPUBackend): void {
  if (registeredWebgpu?.backend !== backend || --registeredWebgpu.users > 0) return;
  registeredWebgpu = undefined;
  tf.removeBackend('webgpu');
}

/** Submits whatever tfjs has recorded but not yet submitted. */
function submitPending(backend: WebGPUBackend): void {
  // tfjs batches dispatches into one open compute pass and submits only every
  // WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE (15) dispatches or on readback. The
  // pass must be ended before the encoder is finished, and submitQueue()
  // needs an encoder (an empty one submits nothing harmful).
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
}

function isGpuBuffer(resource: unknown): boolean {
  return typeof GPUBuffer !== 'undefined' && resource instanceof GPUBuffer;
}

/** tfjs-backend-webgpu dense matMul on `device` (a CSR A is densified). */
export async function createTfjsWebgpuPeer(device: GPUDevice): Promise<TfjsWebgpuPeer> {
  configureTfjs();
  const backend = await acquireWebgpuBackend(device);
  let disposed = false;
  const live = (): void => {
    if (disposed) throw new DisposedError('this tfjs-webgpu peer');
  };
  try {
    await activate('webgpu');
    if (tf.backend() !== backend || backend.device !== device) {
      throw new Error('tfjs is not running on the WebGPU backend built on the given device');
    }
  } catch (e) {
    releaseWebgpuBackend(backend);
    throw e;
  }

  const finish = async (): Promise<void> => {
    submitPending(backend);
    await device.queue.onSubmittedWorkDone();
  };

  return {
    impl: 'tfjs-webgpu',
    backend: 'webgpu',
    get tfjsDevice(): GPUDevice {
      live();
      return (tf.engine().findBackend('webgpu') as WebGPUBackend).device;
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      releaseWebgpuBackend(backend);
    },
    prepare: async (A, X) => {
      live();
      return prepareTfjs(A, X, {
        backendName: 'webgpu',
        finish,
        checkWarmup(operands, y) {
          // Guards against silent CPU execution: operands and result must be
          // GPU buffers of our backend, on our device.
          if (tf.backend() !== backend) throw new Error('tfjs switched away from our WebGPU backend');
          for (const t of [...operands, y]) {
            if (!isGpuBuffer(backend.tensorMap.get(t.dataId)?.resource)) {
              throw new Error('tfjs-webgpu matMul did not run on the GPU (a tensor has no GPU buffer)');
            }
          }
        },
      });
    },
  };
}

/** @tensorflow/tfjs-backend-cpu dense matMul (a CSR A is densified). */
export async function createTfjsCpuPeer(): Promise<Peer> {
  configureTfjs();
  await activate('cpu');
  return {
    impl: 'tfjs-cpu',
    backend: 'cpu',
    // CPU kernels compute synchronously inside tf.matMul: nothing to wait for.
    prepare: (A, X) => prepareTfjs(A, X, { backendName: 'cpu', finish: async () => {} }),
  };
}

// ---------------------------------------------------------------------------
// mathjs

interface SparseMatrixJSON {
  mathjs: 'SparseMatrix';
  values: number[];
  index: number[];
  ptr: number[];
  size: [number, number];
  datatype: 'number';
}

// SparseMatrix is exported at runtime but missing from mathjs's typings.
const { SparseMatrix } = math as unknown as { SparseMatrix: { fromJSON(json: SparseMatrixJSON): math.Matrix } };

/**
 * The mathjs sparse form of A, the same matrix math.sparse(A.toArray()) gives,
 * but built straight from A's CSC index in O(nnz) rather than by scanning a
 * dense rows × cols array (mathjs's SparseMatrix is CSC).
 */
function toMathjsSparse(A: CSRMatrix): math.Matrix {
  const { colPtr, rowIdx, perm } = A.transposeIndex();
  return SparseMatrix.fromJSON({
    mathjs: 'SparseMatrix',
    values: Array.from(perm, (k) => A.values[k]!),
    index: Array.from(rowIdx),
    ptr: Array.from(colPtr),
    size: [A.rows, A.cols],
    // With both operands typed 'number', multiply() looks its scalar ops up
    // once instead of dispatching per element (and skips a full type scan of
    // the dense operand on every call).
    datatype: 'number',
  });
}

/** mathjs sparse multiply: A as a mathjs SparseMatrix, X a dense mathjs matrix. */
export function createMathjsPeer(): Peer {
  return {
    impl: 'mathjs',
    backend: 'cpu',
    async prepare(A, X): Promise<PreparedPeer> {
      checkShapes(A, X);
      const a = toMathjsSparse(A instanceof CSRMatrix ? A : CSRMatrix.fromDense(A));
      const x = math.matrix(X.toArray(), 'dense', 'number');
      const [rows, cols] = [A.rows, X.cols];
      let disposed = false;
      const live = (): void => {
        if (disposed) throw new DisposedError('this prepared peer');
      };
      math.multiply(a, x); // warm-up (JIT), like the other peers
      return {
        async run(repeats: number): Promise<number> {
          live();
          checkRepeats(repeats);
          const t0 = performance.now();
          for (let i = 0; i < repeats; i++) math.multiply(a, x);
          return performance.now() - t0;
        },
        async result(): Promise<Float32Array> {
          live();
          // Sparse × dense gives a SparseMatrix in mathjs; visit its stored
          // entries (skipZeros), the rest of the output is zero.
          const y = math.multiply(a, x);
          const out = new Float32Array(rows * cols);
          y.forEach((v: number, [i, j]: number[]) => {
            out[i! * cols + j!] = v;
          }, true);
          return out;
        },
        dispose(): void {
          disposed = true;
        },
      };
    },
  };
}
