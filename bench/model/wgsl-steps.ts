// Dependent steps from the WGSL itself: runs one SET evolution of a CSR layer
// (evolveResident, prune → regrow rounds → install with the transpose and,
// on the 'gpu' profile, the row schedules rebuilt) with every dispatch's
// program swapped for its steps variant, and reads back per dispatch the most
// dependent steps any invocation ran. bench/model/evolution.ts predicts the
// same figure from the shapes and the CPU twin; the test
// (test/evolution-steps-trace.test.ts) holds the two equal, dispatch by
// dispatch, so the model's maxSerialSteps describes the code that runs.
//
// A steps variant is its program with traceStep() (shaders/fragments/trace.wgsl)
// called at the top of the entry point and of every loop body, its own and
// its fragments' alike, so no loop can be left uncounted and the shipped
// shaders carry nothing: the counters exist only in this rewritten source.
// A step is one entry or one loop iteration; nested loops add their inner
// iterations, sequential loops add up.
import { fragments, programs } from '../../kernels/programs.js';
import { evolveResident } from '../../kernels/set/evolve.js';
import { ResidentCsr } from '../../kernels/resident/csr.js';
import { GpuContext, UniformBlock, type OperationScope, type ProgramDispatch } from '../../src/gpu/gpu-context.js';
import type { KernelProfile } from '../../src/gpu/kernel-profile.js';
import { layoutWgsl, type ShaderLayout } from '../../src/gpu/layout.js';
import type { GpuPlan } from '../../src/gpu/plan.js';
import type { ShaderProgram } from '../../src/gpu/program.js';
import type { CSRMatrix } from '../../src/index.js';

/** One dispatch as it ran: its program (the name in kernels/programs.ts), the workgroups recorded, and the steps of its longest invocation. */
export interface StepsDispatch {
  program: string;
  /** The linear count recorded; for an indirect dispatch, the bound (the GPU read its own count). */
  workgroups: number;
  indirect: boolean;
  /** The most steps one invocation ran; 0 when no invocation ran (no workgroups, or an indirect count of 0). */
  steps: number;
}

export interface StepsRequest {
  W: CSRMatrix;
  zeta: number;
  seed: number;
  profile: KernelProfile;
  /** A second optimizer state (Adam's), moved along with the first. */
  second?: boolean;
  /** New weights' uniform bound (does not change the steps). */
  limit?: number;
}

const STEP = ' traceStep();';
const TRACE_BINDING = 'rw atomic<u32>';

/** Where a body opens: the `{` after the bracket closing at or after `from` (nested brackets skipped), or -1. */
function bodyAfter(code: string, from: number): number {
  let depth = 1;
  let i = from;
  while (depth > 0 && i < code.length) {
    const ch = code[i++];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
  }
  const gap = /^\s*/.exec(code.slice(i))![0].length;
  return code[i + gap] === '{' ? i + gap + 1 : -1;
}

/** `source` with STEP at the top of each compute entry point and each for, while and loop body. */
export function countedSource(source: string): string {
  // Comments blanked (same length), so a keyword in one is no loop.
  const code = source.replace(/\/\/[^\n]*/g, (c) => ' '.repeat(c.length));
  const at: number[] = [];
  for (const m of code.matchAll(/@compute\b[^]*?\bfn\s+\w+\s*\(|\b(?:for|while)\s*\(|\bloop\s*\{/g)) {
    const end = m.index + m[0].length;
    const open = m[0].startsWith('loop') ? end : bodyAfter(code, end);
    if (open < 0) throw new Error(`steps variant: no body after '${m[0].slice(0, 40)}' at ${m.index}`);
    at.push(open);
  }
  let out = source;
  for (const i of at.reverse()) out = out.slice(0, i) + STEP + out.slice(i);
  return out;
}

const stepsVariants = new Map<string, ShaderProgram>();

/** `p` counting its steps into a `trace` binding of its own (one word: the dispatch's most). */
export function stepsProgram(p: ShaderProgram): ShaderProgram {
  let v = stepsVariants.get(p.key);
  if (!v) {
    if ('trace' in p.layout.bindings) throw new Error(`${p.key} binds trace already`);
    const layout: ShaderLayout = { ...p.layout, bindings: { ...p.layout.bindings, trace: TRACE_BINDING } };
    const source = countedSource(p.source()) + '\n' + fragments.trace;
    v = { key: `${p.key}:steps`, layout, source: () => source, code: () => layoutWgsl(layout) + source, constants: p.constants, entryPoint: p.entryPoint ?? 'main' };
    stepsVariants.set(p.key, v);
  }
  return v;
}

const programNames = new Map<string, string>(Object.entries(programs).map(([name, p]) => [p.key, name]));

/**
 * Runs one evolution of W on SwiftShader (or whatever `device` is) with the
 * steps variants, and returns its dispatches in recording order. The layer
 * the run makes is the untraced one's: the variants only add counters.
 */
export async function traceEvolutionSteps(device: GPUDevice, request: StepsRequest): Promise<StepsDispatch[]> {
  const { W, zeta, seed, profile } = request;
  const ctx = new GpuContext(device, false, undefined, undefined, profile);
  const recorded: Array<Omit<StepsDispatch, 'steps'> & { buffer: GPUBuffer }> = [];
  const swap = (s: OperationScope): void => {
    const dispatch = s.dispatch.bind(s);
    s.dispatch = <L extends ShaderLayout>(program: ShaderProgram<L>, d: ProgramDispatch<L>): void => {
      const name = programNames.get(program.key);
      if (name === undefined) throw new Error(`${program.key} is not in kernels/programs.ts's programs`);
      const counted = stepsProgram(program);
      // Owned by this trace, not the scope: read after the whole evolution ran.
      const buffer = ctx.createBuffer(`steps of ${program.key}`, 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
      recorded.push({ program: name, workgroups: d.workgroups, indirect: d.indirect !== undefined, buffer });
      const uniforms = d.uniforms instanceof UniformBlock ? new UniformBlock(counted.layout, d.uniforms.buffer) : d.uniforms;
      dispatch(counted, { ...d, bindings: { ...d.bindings, trace: buffer }, ...(uniforms === undefined ? {} : { uniforms }) } as ProgramDispatch<ShaderLayout>);
    };
  };
  const run = ctx.run.bind(ctx);
  ctx.run = <R>(operation: string, build: (s: OperationScope) => GpuPlan<R>): Promise<R> =>
    run(operation, (s) => {
      swap(s);
      return build(s);
    });
  const operand = ResidentCsr.upload(ctx, W, new Float32Array(W.nnz), request.second ? new Float32Array(W.nnz) : undefined, { training: true });
  try {
    await evolveResident(operand, zeta, { kind: 'random', seed, limit: request.limit ?? 0.1 });
    const steps = await run('read steps', (s) => {
      const all = s.output('steps', recorded.length * 4);
      recorded.forEach((r, i) => s.copy(r.buffer, all, 4, i * 4));
      return { result: all, byteLength: recorded.length * 4, decode: (bytes) => new Uint32Array(bytes) };
    });
    return recorded.map(({ buffer: _, ...r }, i) => ({ ...r, steps: steps[i]! }));
  } finally {
    operand.release();
    for (const r of recorded) r.buffer.destroy();
  }
}
