/**
 * The CPU backend's worker threads: `worker_threads` in Node, Web Workers in
 * browsers, each running the kernels' shared WebAssembly modules over the one
 * shared `WebAssembly.Memory` (kernels/wasm/instance.ts). A product is split
 * into parts that write disjoint output ranges (rows of a gather, output rows
 * of a scatter, entries of an SDDMM), each computed exactly as one thread
 * computes it, so results are the same bytes for any thread count.
 *
 * Workers are shared by every engine of this JavaScript realm: an engine
 * holds a lease for its thread count (the pool grows to the largest live
 * lease) and activates it when it runs CPU work; the last release terminates
 * the workers. A product runs on the main thread alone when no lease is
 * active, when it is too small for the hand-off to pay, or when the memory
 * is not shared.
 *
 * Why Atomics over shared words, not messages: kernel wrappers are
 * synchronous (a layer's CPU pass calls them and uses the result at once),
 * so the calling thread publishes the parts, wakes the workers, claims parts
 * itself like them and waits for those still running. Workers are blocked
 * in Atomics.wait between products, so an idle pool costs no CPU.
 */
import { shared as maskShared } from './mask.wat';
import { shared as sddmmShared } from './sddmm.wat';
import { shared as spmmShared } from './spmm.wat';
import { kernelMemory } from './instance.js';
import type { ThreadsReason } from '../../src/options.js';

/** The functions workers run: [module, export]. A part names one by its index here. */
const MODULES = [spmmShared, sddmmShared, maskShared];
export const THREADED = {
  gather: 0,
  gatherPerm: 1,
  scatter: 2,
  sddmm: 3,
  fillMask: 4,
  activateLeaky: 5,
  deriveLeaky: 6,
} as const;
const FUNCTIONS: ReadonlyArray<readonly [module: number, name: string]> = [
  [0, 'gather'],
  [0, 'gatherPerm'],
  [0, 'scatter'],
  [1, 'sddmm'],
  [2, 'fillMask'],
  [2, 'activateLeaky'],
  [2, 'deriveLeaky'],
];

/**
 * Control words (Int32): per worker slot STRIDE words (SEQ, bumped to wake
 * it; STATE), then the product's: its function, parts, arguments per part,
 * the next unclaimed part, and the pool's stop and failure flags. A product
 * is cut into more parts than threads and every thread, the caller's
 * included, claims parts until none is left: a worker the OS runs late (a
 * shared or loaded machine, a slow core) then costs the others little.
 */
const STRIDE = 2;
const SEQ = 0;
const STATE = 1;
/** STATE of a slot: idle; woken for the current product (may still be asleep); claiming parts; cancelled before it woke. */
const IDLE = 0;
const WOKEN = 1;
const RUNNING = 2;
const CANCELLED = 3;
const MAX_ARGS = 12;
/** Threads a lease may ask for (more than the cores only time-slices). */
export const MAX_THREADS = 256;
/** Parts per thread a product is cut into (fewer where its splits say so). */
const PARTS_PER_THREAD = 4;
const MAX_PARTS = MAX_THREADS * PARTS_PER_THREAD;
const MAX_WORKERS = MAX_THREADS - 1;
const FN = MAX_WORKERS * STRIDE;
const NPARTS = FN + 1;
const NARGS = FN + 2;
const NEXT = FN + 3;
const STOP = FN + 4;
const FAILED = FN + 5;
const WORKER_PARTS = FN + 6; // parts run by workers, ever (tests: the workers do run parts)
const CONTROL_WORDS = FN + 7;

/**
 * The worker's whole program, as source text: it imports nothing (the
 * modules, compiled here, and the memory arrive in its first message), so
 * no bundler has to find, emit or rewrite a worker entry, and the same text
 * runs under `worker_threads` (eval) and as a Web Worker (a Blob URL).
 */
const WORKER_SOURCE = `
const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';
const onMessage = (port, init) => {
  const { memory, modules, functions, control, args, slot } = init;
  const ctl = new Int32Array(control);
  const arg = new Float64Array(args);
  const exports = modules.map((m) => new WebAssembly.Instance(m, { env: { memory } }).exports);
  const table = functions.map(([m, name]) => exports[m][name]);
  const base = slot * ${STRIDE};
  port.postMessage('ready');
  let seen = 0;
  for (;;) {
    Atomics.wait(ctl, base + ${SEQ}, seen);
    seen = Atomics.load(ctl, base + ${SEQ});
    if (Atomics.load(ctl, ${STOP}) !== 0) break;
    // The caller may have finished every part and cancelled this wake-up meanwhile.
    if (Atomics.compareExchange(ctl, base + ${STATE}, ${WOKEN}, ${RUNNING}) !== ${WOKEN}) continue;
    const f = table[ctl[${FN}]];
    const parts = ctl[${NPARTS}];
    const nargs = ctl[${NARGS}];
    for (let i = Atomics.add(ctl, ${NEXT}, 1); i < parts; i = Atomics.add(ctl, ${NEXT}, 1)) {
      const values = [];
      for (let j = 0; j < nargs; j++) values.push(arg[i * ${MAX_ARGS} + j]);
      try {
        f(...values);
      } catch (e) {
        Atomics.store(ctl, ${FAILED}, 1);
      }
      Atomics.add(ctl, ${WORKER_PARTS}, 1);
    }
    Atomics.store(ctl, base + ${STATE}, ${IDLE});
    Atomics.notify(ctl, base + ${STATE});
  }
  if (isNode) process.exit(0); else close();
};
if (isNode) {
  // An eval worker runs as CommonJS or, under --input-type=module, as ESM: import() serves both
  // (the port queues the init message until the listener is attached).
  import('node:worker_threads').then(({ parentPort }) => parentPort.once('message', (init) => onMessage(parentPort, init)));
} else {
  self.onmessage = (e) => { self.onmessage = null; onMessage(self, e.data); };
}
`;

interface PoolWorker {
  terminate(): void;
}

interface Pool {
  readonly memory: WebAssembly.Memory;
  readonly control: Int32Array;
  readonly args: Float64Array;
  readonly workers: PoolWorker[];
  /** Set when a worker failed or exited: products run inline from then on. */
  broken: boolean;
  /** Blocks until `slot`'s STATE is no longer RUNNING. */
  waitIdle(slot: number): void;
}

let pool: Pool | undefined;
let spawning: Promise<void> | undefined;
const leases = new Set<ThreadLease>();
let active: ThreadLease | undefined;
let parallelRuns = 0;
let endedWorkers = 0;

/**
 * Multiply-adds below which a product runs on the calling thread alone
 * (about 8.4 M, ~1 ms on one core). The hand-off itself (a futex wake, the
 * worker's start, the wait) costs tens of µs, but on virtual machines whose
 * idle vCPUs busy-poll for a while after a wake-up (this project's 2-vCPU
 * machines) the calling thread's next work ran at half speed: splitting the
 * reference SET-MLP's 4.6 M-multiply-add products made its MNIST epoch
 * 4.6–4.7 s against 3.9 s unsplit (bench/README.md). A million-neuron layer's
 * products (≥ 88 M) still split.
 */
let minParallelWork = 1 << 23;

/**
 * @internal Tests: split every product, however small (0), to check that
 * results do not depend on the split; returns the previous value.
 */
export function setParallelThreshold(work: number): number {
  const previous = minParallelWork;
  minParallelWork = work;
  return previous;
}

/** @internal Workers running now, workers ended since the realm started (tests: dispose ends them), parts the current pool's workers ran. */
export function workerCounts(): { running: number; ended: number; partsRun: number } {
  return { running: pool?.workers.length ?? 0, ended: endedWorkers, partsRun: pool ? Atomics.load(pool.control, WORKER_PARTS) : 0 };
}

/** @internal Products split over threads since the realm started (tests and diagnostics). */
export function parallelRunCount(): number {
  return parallelRuns;
}

/** An engine's claim on the pool: products run on `threads` threads while it is active. */
export interface ThreadLease {
  readonly threads: number;
  /** Gives the threads back; the last release terminates the workers. Idempotent. */
  release(): void;
}

/**
 * Makes `lease`'s thread count the one products use from now on, or the
 * calling thread alone (undefined, or a released lease): an engine calls it
 * when it starts CPU work.
 */
export function useThreads(lease: ThreadLease | undefined): void {
  active = lease && leases.has(lease) ? lease : undefined;
}

/** Threads the products would run on now (1: the calling thread alone). */
export function activeThreads(): number {
  return active && pool && !pool.broken ? active.threads : 1;
}

/** The cores available to this realm (os.availableParallelism(), navigator.hardwareConcurrency), at least 1. */
export async function availableCores(): Promise<number> {
  const nodeOs = isNode() ? await importNode<{ availableParallelism?: () => number; cpus: () => unknown[] }>('node:os') : undefined;
  const n = nodeOs ? (nodeOs.availableParallelism?.() ?? nodeOs.cpus().length) : (globalThis.navigator?.hardwareConcurrency ?? 1);
  return Math.max(1, Math.min(MAX_THREADS, Math.floor(n) || 1));
}

/**
 * Why `threads` > 1 cannot run here, or undefined when it can: the memory
 * must be a shared WebAssembly.Memory (SharedArrayBuffer, and in a browser a
 * cross-origin-isolated page) and the realm must be able to start workers.
 */
export function threadsUnavailable(): ThreadsReason | undefined {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') {
    return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false ? 'not-cross-origin-isolated' : 'no-shared-memory';
  }
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return 'not-cross-origin-isolated';
  if (!isNode() && typeof Worker !== 'function') return 'no-workers';
  const memory = kernelMemory();
  if (!memory || !MODULES.every((bytes) => WebAssembly.validate(bytes))) return 'no-wasm-simd';
  if (!(memory.buffer instanceof SharedArrayBuffer)) return 'no-shared-memory';
  return undefined;
}

/**
 * A lease of `threads` threads (the caller's own among them), starting
 * workers as needed. Resolves to the reason instead when threads cannot run
 * here (`threads` 1 needs no lease: undefined, undefined).
 */
export async function acquireThreads(threads: number): Promise<{ lease?: ThreadLease; reason?: ThreadsReason }> {
  if (threads <= 1) return {};
  const reason = threadsUnavailable();
  if (reason) return { reason };
  try {
    await ensureWorkers(threads - 1);
  } catch {
    return { reason: 'workers-failed' };
  }
  if (!pool || pool.broken) return { reason: 'workers-failed' };
  const lease: ThreadLease = {
    threads,
    release() {
      if (!leases.delete(lease)) return;
      if (active === lease) active = undefined;
      if (leases.size === 0) shutDown();
    },
  };
  leases.add(lease);
  return { lease };
}

async function ensureWorkers(count: number): Promise<void> {
  while (spawning) await spawning;
  if (pool && pool.workers.length >= count && !pool.broken) return;
  spawning = spawn(count).finally(() => {
    spawning = undefined;
  });
  await spawning;
}

async function spawn(count: number): Promise<void> {
  const memory = kernelMemory()!;
  if (!pool || pool.broken) {
    if (pool) shutDown();
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
    const args = new Float64Array(new SharedArrayBuffer(MAX_PARTS * MAX_ARGS * 8));
    pool = { memory, control, args, workers: [], broken: false, waitIdle: await waiter(control) };
  }
  const p = pool;
  const modules = MODULES.map((bytes) => new WebAssembly.Module(bytes));
  const start = isNode() ? await nodeStarter(p) : browserStarter(p);
  const started: Array<Promise<void>> = [];
  for (let slot = p.workers.length; slot < count; slot++) {
    started.push(start({ memory, modules, functions: FUNCTIONS, control: p.control.buffer, args: p.args.buffer, slot }));
  }
  await Promise.all(started);
}

type Init = { memory: WebAssembly.Memory; modules: WebAssembly.Module[]; functions: typeof FUNCTIONS; control: ArrayBufferLike; args: ArrayBufferLike; slot: number };

interface NodeWorker {
  once(event: 'message', f: () => void): void;
  on(event: 'error' | 'exit', f: (e: unknown) => void): void;
  postMessage(value: Init): void;
  unref(): void;
  terminate(): Promise<number>;
}

async function nodeStarter(p: Pool): Promise<(init: Init) => Promise<void>> {
  const { Worker: NodeWorkerClass } = await importNode<{ Worker: new (source: string, options: { eval: true }) => NodeWorker }>('node:worker_threads');
  return (init) =>
    new Promise<void>((resolve, reject) => {
      const worker = new NodeWorkerClass(WORKER_SOURCE, { eval: true });
      // Blocked in Atomics.wait between products, a worker must never keep the process alive.
      worker.unref();
      let ready = false;
      const fail = (e: unknown) => {
        p.broken = true;
        if (!ready) reject(e instanceof Error ? e : new Error(`worker ${init.slot} exited`));
      };
      worker.on('error', fail);
      worker.on('exit', () => {
        endedWorkers++;
        if (Atomics.load(p.control, STOP) === 0) fail(undefined);
      });
      worker.once('message', () => {
        ready = true;
        resolve();
      });
      p.workers.push({ terminate: () => void worker.terminate() });
      worker.postMessage(init);
    });
}

function browserStarter(p: Pool): (init: Init) => Promise<void> {
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  let pending = 0;
  return (init) => {
    pending++;
    return new Promise<void>((resolve, reject) => {
      const worker = new Worker(url);
      const settle = () => {
        if (--pending === 0) URL.revokeObjectURL(url);
      };
      worker.onerror = (e) => {
        p.broken = true;
        settle();
        reject(new Error(e.message || 'worker failed to start'));
      };
      worker.onmessage = () => {
        worker.onmessage = null;
        settle();
        resolve();
      };
      p.workers.push(worker);
      worker.postMessage(init);
    });
  };
}

/**
 * How the calling thread waits for its workers: Atomics.wait where it may
 * block (Node, a Web Worker), else a spin on the counter (a browser's main
 * thread may not block; the parts are short).
 */
async function waiter(control: Int32Array): Promise<(slot: number) => void> {
  let canBlock = isNode();
  if (!canBlock) {
    try {
      Atomics.wait(control, STOP, 1, 0);
      canBlock = true;
    } catch {
      canBlock = false;
    }
  }
  return (slot) => {
    while (Atomics.load(control, slot * STRIDE + STATE) === RUNNING) {
      if (canBlock) Atomics.wait(control, slot * STRIDE + STATE, RUNNING);
    }
  };
}

function shutDown(): void {
  const p = pool;
  pool = undefined;
  active = undefined;
  if (!p) return;
  Atomics.store(p.control, STOP, 1);
  for (let slot = 0; slot < p.workers.length; slot++) {
    Atomics.add(p.control, slot * STRIDE + SEQ, 1);
    Atomics.notify(p.control, slot * STRIDE + SEQ);
  }
  for (const w of p.workers) w.terminate();
}

/**
 * Runs `parts` (each the arguments of function `fn`) on the calling thread
 * (through `local`) and the workers, each claiming parts until none is left,
 * and returns when all are done. The caller has staged every operand and
 * given each part an output range of its own, so who runs a part does not
 * change the result. Runs them all on the calling thread, in order, where
 * there are no workers.
 */
export function runParts(fn: number, parts: readonly number[][], local: (...args: number[]) => void): void {
  const p = pool;
  const threads = activeThreads();
  if (parts.length <= 1 || threads <= 1 || !p || p.broken || parts.length > MAX_PARTS) {
    for (const part of parts) local(...part);
    return;
  }
  parallelRuns++;
  const c = p.control;
  const workers = Math.min(threads - 1, parts.length - 1, p.workers.length);
  parts.forEach((part, i) => p.args.set(part, i * MAX_ARGS));
  c[FN] = fn;
  c[NPARTS] = parts.length;
  c[NARGS] = parts[0]!.length;
  Atomics.store(c, FAILED, 0);
  Atomics.store(c, NEXT, 0);
  for (let w = 0; w < workers; w++) {
    Atomics.store(c, w * STRIDE + STATE, WOKEN);
    // Sequentially consistent: a worker that sees the new SEQ sees the product above.
    Atomics.add(c, w * STRIDE + SEQ, 1);
    Atomics.notify(c, w * STRIDE + SEQ);
  }
  for (let i = Atomics.add(c, NEXT, 1); i < parts.length; i = Atomics.add(c, NEXT, 1)) local(...parts[i]!);
  // Every part is claimed: cancel the wake-ups not yet taken, wait for the workers still on theirs.
  for (let w = 0; w < workers; w++) {
    if (Atomics.compareExchange(c, w * STRIDE + STATE, WOKEN, CANCELLED) !== WOKEN) p.waitIdle(w);
  }
  if (Atomics.load(c, FAILED) !== 0) throw new Error(`a CPU worker thread failed in ${FUNCTIONS[fn]![1]}`);
}

/**
 * Parts a product of `work` multiply-adds is cut into now (1: run inline):
 * PARTS_PER_THREAD per thread, or one per thread for a split whose parts
 * each repeat some work (the scatter walks every entry in each part).
 */
export function partsFor(work: number, perThread: number = PARTS_PER_THREAD): number {
  const threads = activeThreads();
  if (threads <= 1 || work < minParallelWork) return 1;
  return threads * Math.max(1, Math.min(perThread, PARTS_PER_THREAD));
}

/**
 * Boundaries r_0 = 0 < … < r_parts = rows splitting the rows of a CSR-like
 * pointer array into `parts` ranges of about equal cost, a row costing its
 * entries plus `rowCost` (writing its output): skewed rows still balance.
 * Ranges may be empty.
 */
export function splitRows(ptr: Uint32Array, rows: number, parts: number, rowCost: number): number[] {
  const cost = (r: number) => ptr[r]! - ptr[0]! + r * rowCost;
  const total = cost(rows);
  const bounds = [0];
  for (let i = 1; i < parts; i++) {
    const target = (total * i) / parts;
    let lo = bounds[i - 1]!;
    let hi = rows;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cost(mid) < target) lo = mid + 1;
      else hi = mid;
    }
    bounds.push(lo);
  }
  bounds.push(rows);
  return bounds;
}

function isNode(): boolean {
  return typeof process === 'object' && typeof process.versions?.node === 'string';
}

/** A Node built-in, by a specifier bundlers leave alone (browser bundles never load it). */
async function importNode<T>(name: string): Promise<T> {
  return (await import(/* @vite-ignore */ name)) as T;
}
