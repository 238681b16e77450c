import gatherSource from '../shaders/spmm.wgsl?raw';
import nmColumnsSource from '../shaders/nm-transpose.wgsl?raw';
import sddmmSource from '../shaders/sddmm.wgsl?raw';
import gemmSource from '../shaders/gemm.wgsl?raw';
import scanSource from '../shaders/primitives/scan.wgsl?raw';
import selectSource from '../shaders/primitives/select.wgsl?raw';
import compactSource from '../shaders/primitives/compact.wgsl?raw';
import setPruneSource from '../shaders/set/prune.wgsl?raw';
import csrCompactSource from '../shaders/set/compact-csr.wgsl?raw';
import setRegrowSource from '../shaders/set/regrow.wgsl?raw';
import csrTransposeSource from '../shaders/csr-transpose.wgsl?raw';
import elementwiseSource from '../shaders/elementwise.wgsl?raw';
import nmEvolveSource from '../shaders/set/nm-evolve.wgsl?raw';
import randomFillSource from '../shaders/primitives/random-fill.wgsl?raw';
import activationSource from '../shaders/activation.wgsl?raw';
import softmaxCeSource from '../shaders/softmax-ce.wgsl?raw';
import adamSource from '../shaders/adam.wgsl?raw';
import riglSource from '../shaders/rigl.wgsl?raw';
import neuronStrengthSource from '../shaders/neuron-strength.wgsl?raw';
import topKSource from '../shaders/primitives/top-k.wgsl?raw';
import mseSource from '../shaders/mse.wgsl?raw';
import corruptSource from '../shaders/corrupt.wgsl?raw';
import rowOrderSource from '../shaders/row-order.wgsl?raw';
import commonSource from '../shaders/fragments/common.wgsl?raw';
import randomSource from '../shaders/fragments/random.wgsl?raw';
import sortableKeySource from '../shaders/fragments/sortable-key.wgsl?raw';
import gemmTileSource from '../shaders/fragments/gemm-tile.wgsl?raw';
import workgroupScanSource from '../shaders/fragments/workgroup-scan.wgsl?raw';
import rowMergeSource from '../shaders/fragments/row-merge.wgsl?raw';
import traceSource from '../shaders/fragments/trace.wgsl?raw';
import activationFragmentSource from '../shaders/fragments/activation.wgsl?raw';
import sgdFragmentSource from '../shaders/fragments/sgd.wgsl?raw';
import adamFragmentSource from '../shaders/fragments/adam.wgsl?raw';
import wideSource from '../shaders/fragments/wide.wgsl?raw';
import csrSearchSource from '../shaders/fragments/csr-search.wgsl?raw';
import { layoutWgsl, type BindingSpec, type ShaderLayout, type UniformType } from '../src/gpu/layout.js';
import { specializeShader, type ShaderProgram } from '../src/gpu/program.js';

/** Shared WGSL pieces, included by the shaders that call them instead of copied. */
export const fragments = {
  random: randomSource,
  sortableKey: sortableKeySource,
  gemmTile: gemmTileSource,
  workgroupScan: workgroupScanSource,
  rowMerge: rowMergeSource,
  trace: traceSource,
  wide: wideSource,
  csrSearch: csrSearchSource,
  activation: activationFragmentSource,
  sgd: sgdFragmentSource,
  adam: adamFragmentSource,
} as const;

type Fragment = keyof typeof fragments;

/** A WGSL file with its declared layout and the fragments it calls. */
interface Shader<L extends ShaderLayout> {
  readonly source: string;
  readonly layout: L;
  readonly includes: readonly Fragment[];
}

function shader<const L extends ShaderLayout>(source: string, layout: L, includes: readonly Fragment[] = []): Shader<L> {
  return { source, layout, includes };
}

interface ProgramOptions {
  flags?: Record<string, boolean>;
  /** `override` constants (what changes the compiled code, such as N:M's n and m). */
  constants?: Record<string, number>;
  entryPoint?: string;
}

function program<L extends ShaderLayout>(key: string, s: Shader<L>, options: ProgramOptions = {}): ShaderProgram<L> {
  let source: string | undefined;
  let code: string | undefined;
  const authored = () =>
    // shaders/fragments/common.wgsl first: the helpers every kernel may call. Fragments take the
    // program's flags too (the GEMM tile's TRACE lines).
    (source ??= [commonSource, ...s.includes.map((f) => specializeShader(fragments[f], options.flags)), specializeShader(s.source, options.flags)].join('\n'));
  return {
    key,
    layout: s.layout,
    source: authored,
    code: () => (code ??= layoutWgsl(s.layout) + authored()),
    constants: options.constants ?? {},
    entryPoint: options.entryPoint ?? 'main',
  };
}

/** Entry point `name` of a multi-entry shader, keyed `${stem}:${name}`. */
function entry<L extends ShaderLayout>(stem: string, s: Shader<L>, name: string, constants?: Record<string, number>): ShaderProgram<L> {
  return program(`${stem}:${name}`, s, { entryPoint: name, ...(constants ? { constants } : {}) });
}

/** The workgroup size of the one-thread-per-element kernels. */
const threads = { THREADS: 256 } as const;

// --- spmm: one shader for CSR, Wᵀ through the transpose index, and N:M (flags) ---

/**
 * `main` (the emulation profile): a workgroup covers ROWS_PER_WG rows ×
 * THREADS_B · COLS_PER_THREAD batch columns. `gatherWarp` (the gpu profile):
 * WARP_ROWS rows × WARP_LANES · WARP_COLS batch columns, WARP_LANES lanes per row.
 */
const gatherConsts = { THREADS_B: 8, COLS_PER_THREAD: 16, ROWS_PER_WG: 8, WARP_LANES: 32, WARP_ROWS: 4, WARP_COLS: 4 } as const;

/**
 * The gpu profile's CSR gather schedule (shaders/row-order.wgsl, built by
 * kernels/row-order.ts, read by gatherWarp): a header, then per slot the row,
 * its first entry and its end.
 */
const scheduleConsts = { SCHEDULE_HEADER: 4, SCHEDULE_STRIDE: 3 } as const;

/**
 * The schedule's rebuild: ORDER_ROWS rows per workgroup, ORDER_BINS length
 * bins (bit lengths 0 … 32); rows of bit length ≥ longBits are split over a
 * workgroup's warps (kernels/row-order.ts chooses it).
 */
const rowOrder = shader(rowOrderSource, {
  consts: { ...scheduleConsts, ORDER_ROWS: 256, ORDER_BINS: 33 },
  uniforms: { rows: 'u32', blocks: 'u32', longBits: 'u32' },
  bindings: { rowPtr: 'r u32', counts: 'rw u32', schedule: 'rw u32' },
});

function gatherIo(vec4: boolean) {
  return vec4 ? ({ X: 'r vec4f', Y: 'rw vec4f', values: 'r f32' } as const) : ({ X: 'r f32', Y: 'rw f32', values: 'r f32' } as const);
}

function gatherCsrShader(perm: boolean, vec4: boolean) {
  return shader(gatherSource, {
    consts: gatherConsts,
    uniforms: { rows: 'u32', batch: 'u32', batchTiles: 'u32' },
    // rowOrder: rows in the order to visit them (longest first); perm (Wᵀ): entry → position in values.
    bindings: { ...gatherIo(vec4), rowPtr: 'r u32', colIdx: 'r u32', rowOrder: 'r u32', ...(perm ? { perm: 'r u32' } : {}) },
  });
}

/**
 * The CSR gather's gatherWarp programs (flag SCHED): rows and their entry
 * ranges from the schedule (kernels/row-order.ts) instead of rowOrder and
 * rowPtr, one binding where `main` takes two.
 */
function gatherCsrWarpShader(perm: boolean) {
  return shader(gatherSource, {
    consts: { ...gatherConsts, ...scheduleConsts },
    uniforms: { rows: 'u32', batch: 'u32', batchTiles: 'u32' },
    bindings: { ...gatherIo(false), colIdx: 'r u32', schedule: 'r u32', ...(perm ? { perm: 'r u32' } : {}) },
  });
}

/** The tracing variant's extra binding (fragments/trace.wgsl): an event counter, then four words per event. */
const traceBinding = { trace: 'rw atomic<u32>' } as const;

/** A shader with the TRACE recorder: its layout plus the `trace` binding, and the fragment that writes it. */
function traced<L extends ShaderLayout>(s: Shader<L>) {
  return shader(s.source, { ...s.layout, bindings: { ...s.layout.bindings, ...traceBinding } }, [...s.includes, 'trace']);
}

function gatherNMShader(vec4: boolean, aligned: boolean) {
  return shader(gatherSource, {
    consts: gatherConsts,
    // Word-aligned rows walk their slots in one flat loop, without groupsPerRow.
    uniforms: { rows: 'u32', batch: 'u32', batchTiles: 'u32', slotsPerRow: 'u32', ...(aligned ? {} : { groupsPerRow: 'u32' }) },
    bindings: { ...gatherIo(vec4), packed: 'r u32' },
  });
}

export type GatherCsrProgram = ShaderProgram<ReturnType<typeof gatherCsrShader>['layout']>;
export type GatherCsrWarpProgram = ShaderProgram<ReturnType<typeof gatherCsrWarpShader>['layout']>;
export type GatherNMProgram = ShaderProgram<ReturnType<typeof gatherNMShader>['layout']>;

/**
 * The N:M gather, specialised per (n, m) so its group loops unroll, for vec4
 * loads, and for word-aligned layouts (see nmWordAligned); compiled on first use.
 */
const gatherNMPrograms = new Map<string, GatherNMProgram>();
export function gatherNMProgram(n: number, m: number, vec4: boolean, aligned: boolean): GatherNMProgram {
  const key = `spmm:nm:${n}:${m}${vec4 ? ':vec4' : ''}${aligned ? ':aligned' : ''}`;
  let p = gatherNMPrograms.get(key);
  if (!p) {
    p = program(key, gatherNMShader(vec4, aligned), { flags: { NM: true, VEC4: vec4, ALIGNED: aligned }, constants: { NM_N: n, NM_M: m } });
    gatherNMPrograms.set(key, p);
  }
  return p;
}

function gatherCsr(perm: boolean, vec4: boolean): GatherCsrProgram {
  return program(`spmm:csr${perm ? '+perm' : ''}${vec4 ? ':vec4' : ''}`, gatherCsrShader(perm, vec4), { flags: { CSR: true, PERM: perm, VEC4: vec4 } });
}

/** The GPU-shaped CSR gather (entry point gatherWarp: a warp per row, lanes along the batch, f32 loads). */
function gatherCsrWarp(perm: boolean): GatherCsrWarpProgram {
  return program(`spmm:csr${perm ? '+perm' : ''}:warp`, gatherCsrWarpShader(perm), { flags: { CSR: true, SCHED: true, PERM: perm, VEC4: false }, entryPoint: 'gatherWarp' });
}

/** The GPU-shaped N:M gather (entry point gatherWarp), per (n, m) and layout; compiled on first use. */
export function gatherNMWarpProgram(n: number, m: number, aligned: boolean): GatherNMProgram {
  const key = `spmm:nm:${n}:${m}${aligned ? ':aligned' : ''}:warp`;
  let p = gatherNMPrograms.get(key);
  if (!p) {
    p = program(key, gatherNMShader(false, aligned), { flags: { NM: true, VEC4: false, ALIGNED: aligned }, constants: { NM_N: n, NM_M: m }, entryPoint: 'gatherWarp' });
    gatherNMPrograms.set(key, p);
  }
  return p;
}

/** The CSR gather (forward, or Wᵀ through the transpose index), with vec4 loads of X when the batch allows. */
export function gatherCsrProgram(transpose: boolean, vec4: boolean): GatherCsrProgram {
  if (transpose) return vec4 ? programs.gatherCsrTransposeVec4 : programs.gatherCsrTranspose;
  return vec4 ? programs.gatherCsrVec4 : programs.gatherCsr;
}

/**
 * Tracing variants of the CSR gather (flag TRACE; bench/model/wgsl-trace.ts):
 * the same entry points, recording every access of X, Y and the CSR arrays.
 */
export function tracedGatherCsrProgram(perm: boolean, vec4: boolean) {
  const key = `spmm:csr${perm ? '+perm' : ''}${vec4 ? ':vec4' : ''}:trace`;
  return program(key, traced(gatherCsrShader(perm, vec4)), { flags: { CSR: true, PERM: perm, VEC4: vec4, TRACE: true } });
}

/** The tracing variant of gatherWarp's CSR programs (rows through the schedule). */
export function tracedGatherCsrWarpProgram(perm: boolean) {
  const key = `spmm:csr${perm ? '+perm' : ''}:warp:trace`;
  return program(key, traced(gatherCsrWarpShader(perm)), { flags: { CSR: true, SCHED: true, PERM: perm, VEC4: false, TRACE: true }, entryPoint: 'gatherWarp' });
}

/** The activation kernel's kinds (fragments/activation.wgsl): consts of every program that includes it. */
const activationKinds = { LEAKY: 0, SIGMOID: 1, TANH: 2 } as const;
/**
 * The uniforms of fragments/activation.wgsl. kind: which f; dropout: 1 while
 * training with rate > 0; stream: the layer's position, so layers draw
 * independent masks; scale: 1 / (1 - rate).
 */
const activationUniforms = { kind: 'u32', dropout: 'u32', seed: 'u32', stream: 'u32', alpha: 'f32', rate: 'f32', scale: 'f32' } as const;

/**
 * What a training step fuses into a gather's output pass (shaders/spmm.wgsl):
 * 'bias' (z = W·X + b), 'act' (z and A = f(z) · mask), 'deriv' (the
 * transpose gather's dZ = (Wᵀ·dY) ⊙ f'(z) ⊙ mask, Y holding z on entry).
 */
export type GatherEpilogue = 'bias' | 'act' | 'deriv';

type Optional<T> = { readonly [K in keyof T]?: T[K] };

/**
 * The layout of a gather with an epilogue: which of these a program declares
 * depends on its format and epilogue (see gatherCsrEpilogueProgram), the
 * names are checked against this union at dispatch sites.
 */
type GatherEpilogueLayout = {
  readonly consts: typeof gatherConsts & Optional<typeof activationKinds & typeof scheduleConsts>;
  readonly uniforms: { readonly rows: 'u32'; readonly batch: 'u32'; readonly batchTiles: 'u32' } & Optional<Record<'slotsPerRow' | 'groupsPerRow' | keyof typeof activationUniforms, UniformType>>;
  readonly bindings: { readonly X: BindingSpec; readonly Y: BindingSpec; readonly values: BindingSpec } & Optional<Record<'rowPtr' | 'colIdx' | 'rowOrder' | 'schedule' | 'perm' | 'packed' | 'bias' | 'A' | 'step', BindingSpec>>;
};

function epilogueParts(epilogue: GatherEpilogue, vec4: boolean) {
  const io = gatherIo(vec4);
  const forward = epilogue !== 'deriv';
  const bindings: Record<string, BindingSpec> = {};
  if (forward) bindings.bias = 'r f32';
  // A: the activations (its element type as Y's); step[0]: the training step that seeds the mask.
  if (epilogue === 'act') bindings.A = io.Y;
  if (epilogue !== 'bias') bindings.step = 'r u32';
  return {
    flags: { BIAS: forward, ACT: epilogue === 'act', DERIV: epilogue === 'deriv' },
    consts: epilogue === 'bias' ? gatherConsts : { ...gatherConsts, ...activationKinds },
    uniforms: epilogue === 'bias' ? {} : activationUniforms,
    bindings,
    includes: epilogue === 'bias' ? ([] as Fragment[]) : (['random', 'activation'] as Fragment[]),
  };
}

const gatherEpiloguePrograms = new Map<string, ShaderProgram<GatherEpilogueLayout>>();

/**
 * The CSR gather with a training epilogue: forward ('bias', 'act') or the
 * transpose gather ('deriv'), for `main` (vec4 when the batch allows; the
 * forward's rows in index order, its rowOrder binding going to the bias) or
 * gatherWarp (rows through the schedule, which replaces rowPtr and rowOrder:
 * 8 storage buffers at most with 'act'); compiled on first use.
 */
export function gatherCsrEpilogueProgram(epilogue: GatherEpilogue, vec4: boolean, warp: boolean) {
  const perm = epilogue === 'deriv';
  const key = `spmm:csr${perm ? '+perm' : ''}:${epilogue}${vec4 ? ':vec4' : ''}${warp ? ':warp' : ''}`;
  const e = epilogueParts(epilogue, vec4);
  const rows = warp ? { colIdx: 'r u32', schedule: 'r u32' } : { rowPtr: 'r u32', colIdx: 'r u32', ...(perm ? { rowOrder: 'r u32' } : {}) };
  const layout = {
    consts: warp ? { ...e.consts, ...scheduleConsts } : e.consts,
    uniforms: { rows: 'u32', batch: 'u32', batchTiles: 'u32', ...e.uniforms },
    bindings: { ...gatherIo(vec4), ...rows, ...(perm ? { perm: 'r u32' } : {}), ...e.bindings },
  } as GatherEpilogueLayout;
  let p = gatherEpiloguePrograms.get(key);
  if (!p) {
    p = program(key, shader(gatherSource, layout, e.includes), { flags: { CSR: true, SCHED: warp, PERM: perm, VEC4: vec4, ...e.flags }, entryPoint: warp ? 'gatherWarp' : 'main' });
    gatherEpiloguePrograms.set(key, p);
  }
  return p;
}

/** The N:M forward gather with a training epilogue ('bias' or 'act'), per (n, m) and layout; compiled on first use. */
export function gatherNMEpilogueProgram(epilogue: 'bias' | 'act', n: number, m: number, vec4: boolean, aligned: boolean, warp: boolean) {
  const key = `spmm:nm:${n}:${m}:${epilogue}${vec4 ? ':vec4' : ''}${aligned ? ':aligned' : ''}${warp ? ':warp' : ''}`;
  const base = gatherNMShader(vec4, aligned).layout;
  const e = epilogueParts(epilogue, vec4);
  const layout = { consts: e.consts, uniforms: { ...base.uniforms, ...e.uniforms }, bindings: { ...base.bindings, ...e.bindings } } as GatherEpilogueLayout;
  let p = gatherEpiloguePrograms.get(key);
  if (!p) {
    p = program(key, shader(gatherSource, layout, e.includes), {
      flags: { NM: true, VEC4: vec4, ALIGNED: aligned, ...e.flags },
      constants: { NM_N: n, NM_M: m },
      entryPoint: warp ? 'gatherWarp' : 'main',
    });
    gatherEpiloguePrograms.set(key, p);
  }
  return p;
}

// --- sddmm: CSR and N:M patterns (flags) ---

/** `main`: ENTRIES entries per workgroup, one invocation each; `sddmmWarp`: WARP_ENTRIES entries × WARP_LANES lanes. */
const sddmmConsts = { ENTRIES: 64, WARP_LANES: 32, WARP_ENTRIES: 8 } as const;

function sddmmIo(vec4: boolean) {
  return vec4 ? ({ dY: 'r vec4f', X: 'r vec4f', outValues: 'rw f32' } as const) : ({ dY: 'r f32', X: 'r f32', outValues: 'rw f32' } as const);
}

/** `warp`: the GPU-shaped entry point sddmmWarp (lanes along the batch, f32 loads); otherwise `main`, with vec4 loads when the batch allows. */
function sddmmCsrShader(vec4: boolean) {
  return shader(sddmmSource, { consts: sddmmConsts, uniforms: { nnz: 'u32', batch: 'u32', alpha: 'f32' }, bindings: { ...sddmmIo(vec4), rowOf: 'r u32', colIdx: 'r u32' } } as const);
}

function sddmmCsr(vec4: boolean, warp = false) {
  return program(`sddmm:csr${vec4 ? ':vec4' : ''}${warp ? ':warp' : ''}`, sddmmCsrShader(vec4), { flags: { CSR: true, VEC4: vec4 }, entryPoint: warp ? 'sddmmWarp' : 'main' });
}

/** The tracing variant of the CSR SDDMM (flag TRACE; bench/model/wgsl-trace.ts). */
export function tracedSddmmCsrProgram(vec4: boolean, warp: boolean) {
  return program(`sddmm:csr${vec4 ? ':vec4' : ''}${warp ? ':warp' : ''}:trace`, traced(sddmmCsrShader(vec4)), { flags: { CSR: true, VEC4: vec4, TRACE: true }, entryPoint: warp ? 'sddmmWarp' : 'main' });
}

function sddmmNM(vec4: boolean, warp = false) {
  const layout = {
    consts: sddmmConsts,
    uniforms: { nnz: 'u32', batch: 'u32', alpha: 'f32', slotsPerRow: 'u32', groupsPerRow: 'u32', n: 'u32', m: 'u32', bits: 'u32' },
    bindings: { ...sddmmIo(vec4), packed: 'r u32' },
  } as const;
  return program(`sddmm:nm${vec4 ? ':vec4' : ''}${warp ? ':warp' : ''}`, shader(sddmmSource, layout), { flags: { NM: true, VEC4: vec4 }, entryPoint: warp ? 'sddmmWarp' : 'main' });
}

/**
 * What a training step fuses into the SDDMM (shaders/sddmm.wgsl): the
 * optimizer applied to each entry's weight where its gradient is computed
 * ('sgd', 'adam'), and for SGD the layer's bias as biasRows more entries.
 */
export type SddmmStep = 'sgd' | 'adam';

const sgdUniforms = { lr: 'f32', momentum: 'f32', weightDecay: 'f32' } as const;
const adamUniforms = { lr: 'f32', beta1: 'f32', beta2: 'f32', epsilon: 'f32', weightDecay: 'f32' } as const;

function sddmmStepParts(step: SddmmStep) {
  return step === 'sgd'
    ? {
        flags: { SGD: true, BIAS_ROWS: true },
        uniforms: { ...sgdUniforms, biasRows: 'u32' },
        // values, velocity: the weights and their momentum; bias, biasVelocity: the layer's biases and theirs.
        bindings: { values: 'rw f32', velocity: 'rw f32', bias: 'rw f32', biasVelocity: 'rw f32' },
        includes: ['sgd'] as Fragment[],
      } as const
    : {
        flags: { ADAM: true },
        uniforms: adamUniforms,
        // step[0]: t, the 1-based update count.
        bindings: { values: 'rw f32', firstMoment: 'rw f32', secondMoment: 'rw f32', step: 'r u32' },
        includes: ['adam'] as Fragment[],
      } as const;
}

const sddmmStepPrograms = new Map<string, ShaderProgram>();

/** The CSR SDDMM with the optimizer fused (`main`, vec4 when the batch allows, or sddmmWarp); compiled on first use. */
export function sddmmCsrStepProgram(step: SddmmStep, vec4: boolean, warp: boolean) {
  const key = `sddmm:csr:${step}${vec4 ? ':vec4' : ''}${warp ? ':warp' : ''}`;
  const e = sddmmStepParts(step);
  const { dY, X } = sddmmIo(vec4);
  const io = { dY, X };
  const layout = { consts: sddmmConsts, uniforms: { nnz: 'u32', batch: 'u32', alpha: 'f32', ...e.uniforms }, bindings: { ...io, rowOf: 'r u32', colIdx: 'r u32', ...e.bindings } } as const;
  let p = sddmmStepPrograms.get(key);
  if (!p) {
    p = program(key, shader(sddmmSource, layout, e.includes), { flags: { CSR: true, VEC4: vec4, ...e.flags }, entryPoint: warp ? 'sddmmWarp' : 'main' });
    sddmmStepPrograms.set(key, p);
  }
  return p as ShaderProgram<typeof layout>;
}

/** The N:M SDDMM with the optimizer fused; compiled on first use. */
export function sddmmNMStepProgram(step: SddmmStep, vec4: boolean, warp: boolean) {
  const key = `sddmm:nm:${step}${vec4 ? ':vec4' : ''}${warp ? ':warp' : ''}`;
  const e = sddmmStepParts(step);
  const { dY, X } = sddmmIo(vec4);
  const io = { dY, X };
  const layout = {
    consts: sddmmConsts,
    uniforms: { nnz: 'u32', batch: 'u32', alpha: 'f32', slotsPerRow: 'u32', groupsPerRow: 'u32', n: 'u32', m: 'u32', bits: 'u32', ...e.uniforms },
    bindings: { ...io, packed: 'r u32', ...e.bindings },
  } as const;
  let p = sddmmStepPrograms.get(key);
  if (!p) {
    p = program(key, shader(sddmmSource, layout, e.includes), { flags: { NM: true, VEC4: vec4, ...e.flags }, entryPoint: warp ? 'sddmmWarp' : 'main' });
    sddmmStepPrograms.set(key, p);
  }
  return p as ShaderProgram<typeof layout>;
}

// --- dense GEMM and RigL's gradient blocks share fragments/gemm-tile.wgsl ---

/** The GEMM tile's side: each workgroup computes a TS × TS tile. */
const gemmTileConsts = { TS: 64 } as const;

/**
 * `main` (emulation): TS × TS tiles. `tileGpu` (gpu): GPU_TM × GPU_TN tiles, K
 * in steps of GPU_TK, over the k range [split · kChunk, …) of split-K; then
 * `reduceSplits` (REDUCE_THREADS outputs per workgroup) adds the splits'
 * partials. With splits = 1, tileGpu writes C itself.
 */
const gemm = shader(
  gemmSource,
  {
    consts: { ...gemmTileConsts, GPU_TM: 128, GPU_TN: 64, GPU_TK: 16, REDUCE_THREADS: 256 },
    uniforms: { M: 'u32', N: 'u32', K: 'u32', tilesN: 'u32', tilesM: 'u32', alpha: 'f32', splits: 'u32', kChunk: 'u32' },
    // C: the product, or tileGpu's partials (splits × M × N) when K is split.
    bindings: { A: 'r f32', B: 'r f32', C: 'rw f32', partials: 'r f32' },
  },
  ['gemmTile'],
);

function gemmProgram(transA: boolean, transB: boolean, gpu = false, trace = false) {
  const key = `gemm:${gpu ? 'gpu:' : ''}${transA ? 't' : 'n'}${transB ? 't' : 'n'}${trace ? ':trace' : ''}`;
  const constants = { TRANS_A: transA ? 1 : 0, TRANS_B: transB ? 1 : 0 };
  return program(key, trace ? traced(gemm) : gemm, { constants, entryPoint: gpu ? 'tileGpu' : 'main', ...(trace ? { flags: { TRACE: true } } : {}) });
}

/** Tracing variants of the GEMM (flag TRACE; bench/model/wgsl-trace.ts): its tile pass (`main` or tileGpu), global and workgroup memory. */
export function tracedGemmProgram(transA: boolean, transB: boolean, gpu: boolean) {
  return gemmProgram(transA, transB, gpu, true);
}

/** The tracing variant of the GEMM's split-K reduction (reduceSplits). */
export const tracedGemmReduceProgram = program('gemm:reduceSplits:trace', traced(gemm), { flags: { TRACE: true }, entryPoint: 'reduceSplits' });

/**
 * The kept layer and its merged successor, as fragments/row-merge.wgsl reads
 * and writes them: source[e] is the kept index of merged entry e, or
 * NEW_ENTRY | the includer's word for a new one.
 */
const rowMergeBindings = {
  rowPtr: 'r u32',
  colIdx: 'r u32',
  values: 'r f32',
  state: 'r f32',
  newRowPtr: 'rw u32',
  newColIdx: 'rw u32',
  newValues: 'rw f32',
  newState: 'rw f32',
  source: 'rw u32',
} as const;

const rigl = shader(
  riglSource,
  {
    consts: { ...gemmTileConsts, ...threads, ITEMS: 12 },
    uniforms: {
      rows: 'u32',
      cols: 'u32',
      batch: 'u32',
      row0: 'u32',
      blockRows: 'u32',
      k: 'u32',
      // Pool size k + blockRows · cols (blocks); the grown layer's nnz (merge).
      count: 'u32',
      tilesN: 'u32',
    },
    bindings: {
      dY: 'r f32',
      X: 'r f32',
      pool: 'rw f32',
      // Per chunk: slots above / equal to the threshold (chunks + 1 words, scanned in place between the passes).
      chunkGt: 'rw u32',
      chunkEq: 'rw u32',
      // Radix select state: word 0 is the threshold's sortable key.
      threshold: 'r u32[4]',
      // Candidate positions (row, col).
      carryIn: 'r vec2u',
      carryOut: 'rw vec2u',
      carryValue: 'rw f32',
      growCount: 'rw atomic<u32>',
      growPtr: 'r u32',
      ...rowMergeBindings,
    },
  },
  ['sortableKey', 'gemmTile', 'workgroupScan', 'rowMerge'],
);

const regrow = shader(
  setRegrowSource,
  {
    // MAX_CANDIDATES: the most candidates a round draws (memory), whatever the oversampling.
    consts: { ...threads, MAX_CANDIDATES: 1 << 22 },
    uniforms: {
      // The regrown layer's nnz, and so the capacity of its buffers.
      targetNnz: 'u32',
      rows: 'u32',
      cols: 'u32',
      seed: 'u32',
      round: 'u32',
      limit: 'f32',
      stream: 'u32',
      // Columns per band, and bands per row: cell of (row, col) = row · bands + col / colsPerBand.
      colsPerBand: 'u32',
      bands: 'u32',
    },
    bindings: {
      // The round's candidate count and remaining entries (sizeRound writes them), the
      // per-candidate passes' indirect workgroups, and [kept nnz, rounds with work, final nnz, 0].
      roundSize: 'rw u32[4]',
      dispatchArgs: 'rw u32[3]',
      counters: 'rw u32[4]',
      candRow: 'rw u32',
      candCol: 'rw u32',
      bucketCount: 'rw atomic<u32>',
      bucketPtr: 'r u32',
      // (j, col) per candidate, grouped by row; bit 31 of j marks an accepted candidate.
      bucket: 'rw vec2u',
      valid: 'rw u32',
      rank: 'r u32',
      newCount: 'rw u32',
      // Scanned cell counts (rows · bands + 1), and the row-level view written from them.
      cellPtr: 'r u32',
      rowBucketPtr: 'rw u32',
      // The accepted candidates per cell, scanned (the gpu profile's merge).
      acceptedPtr: 'r u32',
      ...rowMergeBindings,
    },
  },
  ['random', 'rowMerge', 'wide', 'csrSearch'],
);

// --- primitives ---

const scan = shader(scanSource, {
  // CHUNK consecutive values per thread.
  consts: { THREADS: 64, CHUNK: 64 },
  // fromTotals: 1 when `totals` holds the scanned chunk totals to start from; 0 for the last level, where one chunk holds everything.
  uniforms: { count: 'u32', fromTotals: 'u32' },
  bindings: { data: 'rw u32', totals: 'rw u32' },
});

const select = shader(
  selectSource,
  {
    consts: threads,
    // selects: 1 or 2.
    uniforms: { count: 'u32', shift: 'u32', selects: 'u32' },
    // Select j: state[4j] = key prefix, state[4j + 1] = prefix mask, state[4j + 2] = remaining rank; its bins at hist[256j].
    bindings: { values: 'r f32', state: 'rw u32[8]', hist: 'rw atomic<u32>[512]' },
  },
  ['sortableKey'],
);

const compact = shader(compactSource, { consts: threads, uniforms: { count: 'u32' }, bindings: { flags: 'r u32', positions: 'r u32', indices: 'rw u32' } });

const randomFill = shader(
  randomFillSource,
  { consts: threads, uniforms: { count: 'u32', seed: 'u32', stream: 'u32', first: 'u32' }, bindings: { out: 'rw u32' } },
  ['random'],
);

// --- SET and N:M evolution ---

const prune = shader(
  setPruneSource,
  {
    // RANK_FRAC: fractional bits of thresholdRanks' fixed-point sum.
    consts: { ...threads, RANK_FRAC: 116 },
    // thresholdRanks: n weights, and the doubles 1 − ζ and ζ as (hi · 2³² + lo) / 2^frac.
    uniforms: { count: 'u32', n: 'u32', keepHi: 'u32', keepLo: 'u32', keepFrac: 'u32', zetaHi: 'u32', zetaLo: 'u32', zetaFrac: 'u32' },
    // stats[0] = bits of min |w|, stats[1] = #{w < -a}, stats[2] = #{w > a};
    // thresholds: the selected sortable keys of largestNegative (word 0) and smallestPositive (word 4);
    // statsIn / selectState: thresholdRanks' stats records (4 words) and select states (8 words).
    bindings: { values: 'r f32', stats: 'rw atomic<u32>[4]', thresholds: 'r u32[8]', flags: 'rw u32', statsIn: 'r u32', selectState: 'rw u32' },
  },
  ['sortableKey', 'wide'],
);

const compactCsr = shader(csrCompactSource, {
  consts: threads,
  uniforms: { nnz: 'u32', rows: 'u32' },
  bindings: {
    flags: 'r u32',
    positions: 'r u32',
    colIdx: 'r u32',
    values: 'r f32',
    state: 'r f32',
    outColIdx: 'rw u32',
    outValues: 'rw f32',
    outState: 'rw f32',
    rowPtr: 'r u32',
    outRowPtr: 'rw u32',
  },
});

const nmEvolve = shader(
  nmEvolveSource,
  {
    consts: threads,
    uniforms: { groups: 'u32', n: 'u32', m: 'u32', bits: 'u32', words: 'u32', seed: 'u32', stream: 'u32', slots: 'u32', limit: 'f32' },
    bindings: {
      values: 'rw f32',
      velocity: 'rw f32',
      packed: 'rw u32',
      groupMin: 'rw f32',
      // Selected sortable key of the threshold (radix select state, word 0).
      threshold: 'r u32[4]',
      positions: 'rw u32',
      // A second per-slot optimizer state (Adam's second moment), moved like velocity.
      second: 'rw f32',
    },
  },
  ['random', 'sortableKey'],
);

// --- training steps ---

const elementwise = shader(
  elementwiseSource,
  {
    consts: threads,
    uniforms: { rows: 'u32', cols: 'u32', count: 'u32', alpha: 'f32', ...sgdUniforms, beta1: 'f32', beta2: 'f32', epsilon: 'f32' },
    // biasSgd / biasAdam: matrix = the output gradient, vector = the bias, velocity and second = its moments, step[0] = Adam's t.
    bindings: { matrix: 'rw f32', vector: 'rw f32', gradient: 'r f32', velocity: 'rw f32', second: 'rw f32', step: 'r u32' },
  },
  ['sgd', 'adam'],
);

const activation = shader(
  activationSource,
  {
    // kind: which f (LEAKY, SIGMOID, TANH), a uniform so one pipeline per pass serves every layer.
    consts: { ...threads, LEAKY: 0, SIGMOID: 1, TANH: 2 },
    // dropout: 1 while training with rate > 0; stream: the layer's position, so layers draw independent masks; scale: 1 / (1 - rate).
    uniforms: { count: 'u32', kind: 'u32', dropout: 'u32', seed: 'u32', stream: 'u32', alpha: 'f32', rate: 'f32', scale: 'f32' },
    // step[0]: the training step, written before each batch, so every batch draws a new mask.
    bindings: { z: 'r f32', values: 'rw f32', step: 'r u32' },
  },
  ['random', 'activation'],
);

const adam = shader(
  adamSource,
  {
    consts: threads,
    uniforms: { count: 'u32', ...adamUniforms },
    // step[0]: t, the 1-based update count.
    bindings: { weights: 'rw f32', gradient: 'r f32', firstMoment: 'rw f32', secondMoment: 'rw f32', step: 'r u32' },
  },
  ['adam'],
);

const softmaxCe = shader(softmaxCeSource, {
  consts: threads,
  // gradient: 1 writes p − onehot, 0 writes p; labeled: 0 for no labels (predict), loss and accuracy are not computed.
  uniforms: { classes: 'u32', batch: 'u32', gradient: 'u32', labeled: 'u32' },
  // perSample: [loss of each sample | 1.0 where the prediction was right];
  // metrics: [mean loss so far, Σ correct, samples], f32 counts exact to 2^24 samples. The loss is
  // kept as a mean, not a sum: an f32 sum of finite losses overflows to Infinity (about 3.4e38) where the CPU's f64 sum stays finite.
  bindings: { logits: 'rw f32', labels: 'r u32', perSample: 'rw f32', metrics: 'rw f32' },
});

// --- derived CSR indices ---

const nmColumns = shader(nmColumnsSource, {
  consts: threads,
  uniforms: { slots: 'u32', n: 'u32', m: 'u32', bits: 'u32', groupsPerRow: 'u32' },
  bindings: { packed: 'r u32', columns: 'rw u32' },
});

const csrTranspose = shader(csrTransposeSource, {
  consts: { ...threads, BAND_THREADS: 16 },
  uniforms: { rows: 'u32', cols: 'u32', nnz: 'u32', blocks: 'u32', rowsPerBlock: 'u32' },
  bindings: {
    rowPtr: 'r u32',
    colIdx: 'r u32',
    rowOf: 'rw u32',
    colCount: 'rw atomic<u32>',
    colPtr: 'r u32',
    rowIdx: 'rw u32',
    perm: 'rw u32',
    colPtrOut: 'rw u32',
  },
}, ['csrSearch']);

// --- QuickSelection: feature strengths, their top k, the autoencoder's loss and input noise ---

const neuronStrength = shader(neuronStrengthSource, {
  consts: threads,
  // W is rows × cols (out × in); the N:M fields as the gathers take them.
  uniforms: { rows: 'u32', cols: 'u32', slotsPerRow: 'u32', n: 'u32', m: 'u32', bits: 'u32' },
  bindings: { values: 'r f32', rowPtr: 'r u32', colIdx: 'r u32', packed: 'r u32', strength: 'rw f32' },
});

const topK = shader(
  topKSource,
  {
    consts: threads,
    uniforms: { count: 'u32', k: 'u32' },
    // state: a radix select's (word 0: the threshold's sortable key, word 2: its rank among equal values); out: k indices, then k values' bits.
    bindings: { values: 'r f32', state: 'r u32[8]', out: 'rw u32' },
  },
  ['sortableKey', 'workgroupScan'],
);

const mse = shader(mseSource, {
  consts: threads,
  // gradient: 1 writes y − t in place of y.
  uniforms: { features: 'u32', batch: 'u32', gradient: 'u32' },
  // perSample: [loss of each sample | 0], as softmax-ce writes it for accumulateMetrics.
  bindings: { output: 'rw f32', targets: 'r f32', perSample: 'rw f32' },
});

const corrupt = shader(
  corruptSource,
  {
    consts: threads,
    // count = features · batch; sigma: the noise factor.
    uniforms: { count: 'u32', batch: 'u32', seed: 'u32', sigma: 'f32' },
    // samples[b]: the data-set index of batch column b (its noise stream).
    bindings: { X: 'r f32', samples: 'r u32', out: 'rw f32' },
  },
  ['random'],
);

export const programs = {
  gatherCsr: gatherCsr(false, false),
  gatherCsrVec4: gatherCsr(false, true),
  gatherCsrTranspose: gatherCsr(true, false),
  gatherCsrTransposeVec4: gatherCsr(true, true),
  gatherNM24: gatherNMProgram(2, 4, false, false),
  gatherNM24Vec4Aligned: gatherNMProgram(2, 4, true, true),
  gatherCsrWarp: gatherCsrWarp(false),
  gatherCsrTransposeWarp: gatherCsrWarp(true),
  gatherNM24Warp: gatherNMWarpProgram(2, 4, false),
  gatherNM24AlignedWarp: gatherNMWarpProgram(2, 4, true),
  // The training step's fused passes (the rest of their variants compile on first use).
  gatherCsrBias: gatherCsrEpilogueProgram('bias', false, false),
  gatherCsrBiasVec4: gatherCsrEpilogueProgram('bias', true, false),
  gatherCsrAct: gatherCsrEpilogueProgram('act', false, false),
  gatherCsrActVec4: gatherCsrEpilogueProgram('act', true, false),
  gatherCsrDeriv: gatherCsrEpilogueProgram('deriv', false, false),
  gatherCsrDerivVec4: gatherCsrEpilogueProgram('deriv', true, false),
  gatherCsrBiasWarp: gatherCsrEpilogueProgram('bias', false, true),
  gatherCsrActWarp: gatherCsrEpilogueProgram('act', false, true),
  gatherCsrDerivWarp: gatherCsrEpilogueProgram('deriv', false, true),
  gatherNM24Act: gatherNMEpilogueProgram('act', 2, 4, false, false, false),
  gatherNM24ActVec4Aligned: gatherNMEpilogueProgram('act', 2, 4, true, true, false),
  gatherNM24BiasAlignedWarp: gatherNMEpilogueProgram('bias', 2, 4, false, true, true),
  gatherNM24ActAlignedWarp: gatherNMEpilogueProgram('act', 2, 4, false, true, true),
  nmColumns: program('nm-transpose', nmColumns),
  rowOrderCounts: entry('row-order', rowOrder, 'binCounts'),
  rowOrderScatter: entry('row-order', rowOrder, 'binScatter'),
  sddmmCsr: sddmmCsr(false),
  sddmmCsrVec4: sddmmCsr(true),
  sddmmNM: sddmmNM(false),
  sddmmNMVec4: sddmmNM(true),
  sddmmCsrWarp: sddmmCsr(false, true),
  sddmmNMWarp: sddmmNM(false, true),
  sddmmCsrSgd: sddmmCsrStepProgram('sgd', false, false),
  sddmmCsrSgdVec4: sddmmCsrStepProgram('sgd', true, false),
  sddmmCsrSgdWarp: sddmmCsrStepProgram('sgd', false, true),
  sddmmCsrAdam: sddmmCsrStepProgram('adam', false, false),
  sddmmCsrAdamVec4: sddmmCsrStepProgram('adam', true, false),
  sddmmCsrAdamWarp: sddmmCsrStepProgram('adam', false, true),
  sddmmNMSgdVec4: sddmmNMStepProgram('sgd', true, false),
  sddmmNMSgdWarp: sddmmNMStepProgram('sgd', false, true),
  sddmmNMAdam: sddmmNMStepProgram('adam', false, false),
  sddmmNMAdamWarp: sddmmNMStepProgram('adam', false, true),
  scanChunkTotals: entry('scan', scan, 'chunkTotals'),
  scanChunks: entry('scan', scan, 'scanChunks'),
  selectHistogram: entry('select', select, 'histogram'),
  selectPick: entry('select', select, 'pick'),
  selectPickScan: entry('select', select, 'pickScan'),
  compactScatter: program('compact:scatter', compact),
  randomFill: program('random:fill', randomFill),
  setAbsMin: entry('set/prune', prune, 'absMin'),
  setCountOutside: entry('set/prune', prune, 'countOutside'),
  setKeepFlags: entry('set/prune', prune, 'keepFlags'),
  setThresholdRanks: entry('set/prune', prune, 'thresholdRanks'),
  csrScatterKept: entry('set/compact-csr', compactCsr, 'scatterKept'),
  csrRowPointers: entry('set/compact-csr', compactCsr, 'rowPointers'),
  regrowSizeRound: entry('set/regrow', regrow, 'sizeRound'),
  regrowGenerate: entry('set/regrow', regrow, 'generate'),
  regrowScatterBuckets: entry('set/regrow', regrow, 'scatterBuckets'),
  regrowRowBuckets: entry('set/regrow', regrow, 'rowBuckets'),
  regrowValidate: entry('set/regrow', regrow, 'validate'),
  regrowCountAccepted: entry('set/regrow', regrow, 'countAccepted'),
  regrowMergeRows: entry('set/regrow', regrow, 'mergeRows'),
  regrowGatherValues: entry('set/regrow', regrow, 'gatherValues'),
  regrowValidateCandidate: entry('set/regrow', regrow, 'validateCandidate'),
  regrowAcceptCandidate: entry('set/regrow', regrow, 'acceptCandidate'),
  regrowNewRowPointers: entry('set/regrow', regrow, 'newRowPointers'),
  regrowScatterKeptEntries: entry('set/regrow', regrow, 'scatterKeptEntries'),
  regrowScatterNewEntries: entry('set/regrow', regrow, 'scatterNewEntries'),
  nmGroupMinimum: entry('set/nm-evolve', nmEvolve, 'groupMinimum'),
  nmEvolveGroups: entry('set/nm-evolve', nmEvolve, 'evolveGroups'),
  nmPackWords: entry('set/nm-evolve', nmEvolve, 'packWords'),
  addBias: entry('elementwise', elementwise, 'addBias'),
  rowSums: entry('elementwise', elementwise, 'rowSums'),
  sgdMomentum: entry('elementwise', elementwise, 'sgdMomentum'),
  biasSgd: entry('elementwise', elementwise, 'biasSgd'),
  biasAdam: entry('elementwise', elementwise, 'biasAdam'),
  activate: entry('activation', activation, 'activate'),
  derive: entry('activation', activation, 'derive'),
  adam: program('adam', adam),
  softmaxCrossEntropy: entry('softmax-ce', softmaxCe, 'softmaxCrossEntropy'),
  accumulateMetrics: entry('softmax-ce', softmaxCe, 'accumulateMetrics'),
  softmaxMetrics: entry('softmax-ce', softmaxCe, 'softmaxMetrics'),
  csrRowsOfEntries: entry('csr-transpose', csrTranspose, 'rowsOfEntries'),
  csrCountColumns: entry('csr-transpose', csrTranspose, 'countColumns'),
  csrScatterColumns: entry('csr-transpose', csrTranspose, 'scatterColumns'),
  csrSortColumns: entry('csr-transpose', csrTranspose, 'sortColumns'),
  csrCountColumnBlocks: entry('csr-transpose', csrTranspose, 'countColumnBlocks'),
  csrColumnPointers: entry('csr-transpose', csrTranspose, 'columnPointers'),
  csrScatterColumnBlocks: entry('csr-transpose', csrTranspose, 'scatterColumnBlocks'),
  csrEntriesRows: entry('csr-transpose', csrTranspose, 'entriesRows'),
  csrScatterEntries: entry('csr-transpose', csrTranspose, 'scatterEntries'),
  gemmNN: gemmProgram(false, false),
  gemmNT: gemmProgram(false, true),
  gemmTN: gemmProgram(true, false),
  gemmTT: gemmProgram(true, true),
  gemmGpuNN: gemmProgram(false, false, true),
  gemmGpuNT: gemmProgram(false, true, true),
  gemmGpuTN: gemmProgram(true, false, true),
  gemmGpuTT: gemmProgram(true, true, true),
  gemmReduceSplits: entry('gemm', gemm, 'reduceSplits'),
  // RigL growth by gradient magnitude (kernels/rigl.ts): its gradient tile is gemm NT (B = Xᵀ read from X).
  riglBlockGradient: entry('rigl', rigl, 'blockGradient', { TRANS_B: 1 }),
  riglMaskPresent: entry('rigl', rigl, 'maskPresent'),
  riglCountCandidates: entry('rigl', rigl, 'countCandidates'),
  riglScatterCandidates: entry('rigl', rigl, 'scatterCandidates'),
  riglCountGrown: entry('rigl', rigl, 'countGrown'),
  riglRowPointers: entry('rigl', rigl, 'rowPointers'),
  riglMergeRows: entry('rigl', rigl, 'mergeRows'),
  riglGatherValues: entry('rigl', rigl, 'gatherValues'),
  neuronStrengthCsr: entry('neuron-strength', neuronStrength, 'csr'),
  neuronStrengthNM: entry('neuron-strength', neuronStrength, 'nm'),
  neuronStrengthDense: entry('neuron-strength', neuronStrength, 'dense'),
  topKGather: entry('top-k', topK, 'gather'),
  mse: entry('mse', mse, 'mse'),
  corrupt: entry('corrupt', corrupt, 'corrupt'),
} as const satisfies Record<string, ShaderProgram>;

/** The tracing variants (no kernel uses them; the GPU execution model runs them), listed for the layout tests. */
export const tracePrograms = {
  gatherCsr: tracedGatherCsrProgram(false, false),
  gatherCsrVec4: tracedGatherCsrProgram(false, true),
  gatherCsrTranspose: tracedGatherCsrProgram(true, false),
  gatherCsrTransposeVec4: tracedGatherCsrProgram(true, true),
  gatherCsrWarp: tracedGatherCsrWarpProgram(false),
  gatherCsrTransposeWarp: tracedGatherCsrWarpProgram(true),
  sddmmCsr: tracedSddmmCsrProgram(false, false),
  sddmmCsrVec4: tracedSddmmCsrProgram(true, false),
  sddmmCsrWarp: tracedSddmmCsrProgram(false, true),
  gemmNN: tracedGemmProgram(false, false, false),
  gemmTT: tracedGemmProgram(true, true, false),
  gemmGpuNN: tracedGemmProgram(false, false, true),
  gemmGpuTT: tracedGemmProgram(true, true, true),
  gemmReduceSplits: tracedGemmReduceProgram,
} as const satisfies Record<string, ShaderProgram>;

export function gemmVariant(transA: boolean, transB: boolean, gpu = false): ShaderProgram<typeof gemm.layout> {
  if (gpu) return transA ? (transB ? programs.gemmGpuTT : programs.gemmGpuTN) : transB ? programs.gemmGpuNT : programs.gemmGpuNN;
  return transA ? (transB ? programs.gemmTT : programs.gemmTN) : transB ? programs.gemmNT : programs.gemmNN;
}
