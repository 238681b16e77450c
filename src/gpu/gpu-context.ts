import { DeviceLimitError, DeviceLostError, DisposedError, GpuError } from '../errors.js';
import type { GpuPlan } from './plan.js';
import { bindingsByNumber, uniformBytes, type BindingBuffers, type ShaderLayout, type UniformValues } from './layout.js';
import type { ShaderProgram } from './program.js';
import { foldWorkgroups } from './workgroups.js';
import type { KernelProfile } from './kernel-profile.js';

/** One step of an operation: a compute dispatch, or a buffer copy between dispatches. */
export type Step = Dispatch | { copy: { source: GPUBuffer; sourceOffset: number; destination: GPUBuffer; destinationOffset: number; byteLength: number } };

/**
 * Workgroups the GPU reads when the dispatch runs: three u32 (x, y, z) at a
 * byte offset of a buffer made by BufferOwner.indirectArgs, written by an
 * earlier pass of the same submission (a size only the GPU knows, such as a
 * count computed from data). Nothing folds them: the pass that writes them
 * keeps each within maxComputeWorkgroupsPerDimension.
 */
export interface IndirectWorkgroups {
  buffer: GPUBuffer;
  offset: number;
}

/** One compute dispatch of an operation. */
export interface Dispatch {
  pipeline: GPUComputePipeline;
  /** Buffers in binding order (binding i = buffers[i]); undefined for a binding the entry point does not use. */
  buffers: Array<GPUBuffer | undefined>;
  /** Linear workgroup count; folded into 3-D here. With `indirect`, the most the GPU's count can be. */
  workgroups: number;
  /** Workgroups read by the GPU instead (then `workgroups` only bounds them). */
  indirect?: IndirectWorkgroups;
  /** Built on first encode and reused by later encodes of a prepared operation. */
  bindGroup?: GPUBindGroup;
}

/** A uniform buffer written for one layout, for several dispatches of the programs that share it. */
export class UniformBlock<L extends ShaderLayout> {
  constructor(
    readonly layout: L,
    readonly buffer: GPUBuffer,
  ) {}
}

/** A dispatch of a program, its buffers and uniforms named as its layout declares them. */
export interface ProgramDispatch<L extends ShaderLayout> {
  /** The buffers the entry point uses (an auto layout refuses any other). */
  bindings: BindingBuffers<L>;
  /** Fields not given are 0; a UniformBlock shares one buffer between dispatches. */
  uniforms?: UniformValues<L> | UniformBlock<L>;
  /** Linear workgroup count; folded into 3-D when recorded. With `indirect`, the most the GPU's count can be. */
  workgroups: number;
  /** Workgroups the GPU reads when the dispatch runs (a data-dependent size); `workgroups` then bounds them. */
  indirect?: IndirectWorkgroups;
}

/**
 * Owns GPU buffers until release(): a layer's weights, an evolution's
 * scratch, an operation's temporaries. Buffers are named after the argument
 * they hold, so a limit error says which one was too large.
 */
export class BufferOwner {
  readonly temporaries: GPUBuffer[] = [];
  constructor(protected readonly ctx: GpuContext) {}

  /** Uploads host data into a new storage buffer. */
  upload(argument: string, data: Float32Array | Uint32Array): GPUBuffer {
    const buffer = this.ctx.createBuffer(argument, data.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC);
    this.temporaries.push(buffer);
    if (data.byteLength > 0) this.ctx.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  /** Writes words into a buffer (queued before any later submission's dispatches). */
  writeWords(buffer: GPUBuffer, words: Uint32Array): void {
    this.ctx.device.queue.writeBuffer(buffer, 0, words.buffer, words.byteOffset, words.byteLength);
  }

  /** A zero-initialised storage buffer that can be read back. */
  output(argument: string, byteLength: number): GPUBuffer {
    const buffer = this.ctx.createBuffer(argument, byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    this.temporaries.push(buffer);
    return buffer;
  }

  /**
   * A storage buffer of `dispatches` indirect-dispatch argument triples
   * (x, y, z at byte offset 12·i), zero (no workgroups) until a pass writes
   * them.
   */
  indirectArgs(argument: string, dispatches: number): GPUBuffer {
    const buffer = this.ctx.createBuffer(argument, dispatches * 12, GPUBufferUsage.STORAGE | GPUBufferUsage.INDIRECT | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    this.temporaries.push(buffer);
    return buffer;
  }

  /** A uniform buffer with a program's fields by name (u32 or f32 as declared; fields not given are 0). */
  uniforms<L extends ShaderLayout>(program: ShaderProgram<L>, values: UniformValues<L>): UniformBlock<L> {
    const data = uniformBytes(program.layout, values, program.key);
    const buffer = this.ctx.device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.temporaries.push(buffer);
    this.ctx.device.queue.writeBuffer(buffer, 0, data);
    return new UniformBlock(program.layout, buffer);
  }

  /** Destroys every buffer this owner created. */
  release(): void {
    for (const b of this.temporaries) b.destroy();
    this.temporaries.length = 0;
  }
}

/**
 * A pass being recorded: its dispatches and copies in order, and (as a
 * BufferOwner) the temporaries it needs, released after it ran. Kernels'
 * encode functions take one and only record into it.
 */
export class OperationScope extends BufferOwner {
  readonly dispatches: Step[] = [];

  /** The context's kernel profile: kernels with GPU-shaped variants pick their entry point by it. */
  get kernelProfile(): KernelProfile {
    return this.ctx.kernelProfile;
  }

  /** Records a dispatch of `program`, binding buffers and uniforms by their declared names. */
  dispatch<L extends ShaderLayout>(program: ShaderProgram<L>, d: ProgramDispatch<L>): void {
    const block = d.uniforms === undefined ? undefined : d.uniforms instanceof UniformBlock ? d.uniforms : this.uniforms(program, d.uniforms);
    if (block !== undefined && block.layout !== program.layout) throw new Error(`${program.key}: its uniforms were written for another layout`);
    const buffers = bindingsByNumber(program.layout, block?.buffer, d.bindings, program.key);
    const maxDim = this.ctx.device.limits.maxComputeWorkgroupsPerDimension;
    if (d.indirect && d.workgroups > maxDim) {
      throw new RangeError(`${program.key}: up to ${d.workgroups} indirect workgroups, over the device's ${maxDim} per dimension (an indirect count is not folded)`);
    }
    this.dispatches.push({ pipeline: this.ctx.pipeline(program), buffers, workgroups: d.workgroups, ...(d.indirect ? { indirect: d.indirect } : {}) });
  }

  /** A buffer-to-buffer copy, ordered with the dispatches around it. */
  copy(source: GPUBuffer, destination: GPUBuffer, byteLength: number, destinationOffset = 0, sourceOffset = 0): void {
    if (byteLength > 0) this.dispatches.push({ copy: { source, sourceOffset, destination, destinationOffset, byteLength } });
  }
}

/**
 * An operation whose operands are uploaded once and whose dispatches can be
 * recorded many times (benchmarks, repeated inference). Owns its buffers
 * until dispose().
 */
export class PreparedOperation<Result> {
  private disposed = false;
  constructor(
    private readonly ctx: GpuContext,
    private readonly scope: OperationScope,
    private readonly plan: GpuPlan<Result>,
    readonly operation: string,
  ) {}

  /** Records the operation `repeats` times into one compute pass. */
  encode(encoder: GPUCommandEncoder, repeats = 1, timestampWrites?: GPUComputePassTimestampWrites): void {
    this.assertLive();
    const dispatches: Step[] = [];
    for (let i = 0; i < repeats; i++) dispatches.push(...this.scope.dispatches);
    this.ctx.encode(encoder, dispatches, this.operation, timestampWrites);
  }

  /** Runs the operation once and reads its result back. */
  async run(): Promise<Result> {
    this.assertLive();
    return this.ctx.run(this.operation, (temporary) => {
      temporary.dispatches.push(...this.scope.dispatches);
      return this.plan;
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.scope.release();
  }

  private assertLive(): void {
    if (this.disposed) throw new DisposedError(`prepared ${this.operation}`);
    this.ctx.assertUsable();
  }
}

/**
 * Owns a GPUDevice's use by one engine: the pipeline cache, limit checks,
 * error scopes around every operation, and device-loss bookkeeping.
 */
/**
 * Pipelines are cached per device (not per engine), so engines that borrow
 * one device share compiled programs, and a destroyed device's cache goes
 * with it.
 */
const pipelineCaches = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

export class GpuContext {
  private readonly pipelines: Map<string, GPUComputePipeline>;
  private lostReason: string | undefined;
  private disposed = false;
  /** Largest buffer an operation may create, in bytes. */
  readonly maxBufferBytes: number;

  constructor(
    readonly device: GPUDevice,
    private readonly ownsDevice: boolean,
    private gpu: GPU | undefined,
    maxBufferBytes?: number,
    /** Which shape of the product kernels to record (src/gpu/kernel-profile.ts); today's SwiftShader-tuned one unless told. */
    readonly kernelProfile: KernelProfile = 'emulation',
  ) {
    let cache = pipelineCaches.get(device);
    if (!cache) {
      cache = new Map();
      pipelineCaches.set(device, cache);
    }
    this.pipelines = cache;
    const deviceMax = Math.min(device.limits.maxBufferSize, device.limits.maxStorageBufferBindingSize);
    this.maxBufferBytes = maxBufferBytes === undefined ? deviceMax : Math.min(maxBufferBytes, deviceMax);
    void device.lost.then((info) => {
      if (!this.disposed) this.lostReason = info.message || info.reason || 'unknown';
    });
  }

  get isLost(): boolean {
    return this.lostReason !== undefined;
  }

  /** Throws the right typed error if the context cannot run work. */
  assertUsable(): void {
    if (this.disposed) throw new DisposedError('engine');
    if (this.lostReason !== undefined) throw new DeviceLostError(this.lostReason);
  }

  createBuffer(argument: string, byteLength: number, usage: GPUBufferUsageFlags): GPUBuffer {
    if (byteLength > this.maxBufferBytes) throw new DeviceLimitError(argument, byteLength, this.maxBufferBytes);
    // Zero-sized bindings are invalid, and a binding must hold at least one
    // element of its array: 16 bytes (a vec4<f32>, the widest element any
    // shader binds) keep empty operands (batch 0, nnz 0) bindable everywhere.
    const size = Math.max(16, Math.ceil(byteLength / 4) * 4);
    return this.device.createBuffer({ label: argument, size, usage });
  }

  /** A compute pipeline, compiled once per (device, program key). */
  pipeline(program: ShaderProgram): GPUComputePipeline {
    let p = this.pipelines.get(program.key);
    if (!p) {
      const module = this.device.createShaderModule({ label: program.key, code: program.code() });
      p = this.device.createComputePipeline({
        label: program.key,
        layout: 'auto',
        compute: { module, entryPoint: program.entryPoint ?? 'main', constants: program.constants },
      });
      this.pipelines.set(program.key, p);
    }
    return p;
  }

  /** Pipelines compiled for this device (shared by engines borrowing it). */
  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /**
   * Runs one operation: `build` uploads operands and records dispatches, and
   * returns the buffer to read back. Validation and out-of-memory errors
   * become GpuError; every temporary buffer is destroyed on every path.
   */
  async run<Result>(operation: string, build: (scope: OperationScope) => GpuPlan<Result>): Promise<Result> {
    this.assertUsable();
    const { device } = this;
    const scope = new OperationScope(this);
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let staging: GPUBuffer | undefined;
    let built: GpuPlan<Result> | undefined;
    let buildError: unknown;
    try {
      built = build(scope);
      staging = device.createBuffer({ size: Math.max(4, built.byteLength), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const encoder = device.createCommandEncoder({ label: operation });
      this.encode(encoder, scope.dispatches, operation);
      if (built.byteLength > 0) encoder.copyBufferToBuffer(built.result, 0, staging, 0, built.byteLength);
      device.queue.submit([encoder.finish()]);
    } catch (e) {
      buildError = e;
    }
    const [validation, oom] = await Promise.all([popWithTimeout(device), popWithTimeout(device)]);
    try {
      if (buildError !== undefined) throw buildError;
      if (oom) throw new GpuError('out-of-memory', operation, oom.message);
      if (validation) throw new GpuError('validation', operation, validation.message);
      this.assertUsable();
      if (built!.byteLength === 0) return built!.decode(new ArrayBuffer(0));
      try {
        await staging!.mapAsync(GPUMapMode.READ, 0, built!.byteLength);
      } catch (e) {
        // A rejected mapping is never unmapped; a loss explains the rejection.
        this.assertUsable();
        throw new GpuError('internal', operation, e instanceof Error ? e.message : String(e));
      }
      const copy = staging!.getMappedRange(0, built!.byteLength).slice(0);
      staging!.unmap();
      return built!.decode(copy);
    } finally {
      staging?.destroy();
      scope.release();
    }
  }

  /**
   * Uploads an operation's operands and compiles its pipelines once, checked
   * under error scopes like run(); the result can then be encoded many times.
   */
  async prepare<Result>(operation: string, build: (scope: OperationScope) => GpuPlan<Result>): Promise<PreparedOperation<Result>> {
    this.assertUsable();
    const scope = new OperationScope(this);
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    let plan: GpuPlan<Result> | undefined;
    let buildError: unknown;
    try {
      plan = build(scope);
    } catch (e) {
      buildError = e;
    }
    const [validation, oom] = await Promise.all([popWithTimeout(this.device), popWithTimeout(this.device)]);
    const error =
      buildError ??
      (oom ? new GpuError('out-of-memory', operation, oom.message) : validation ? new GpuError('validation', operation, validation.message) : undefined);
    if (error !== undefined) {
      scope.release();
      throw error;
    }
    return new PreparedOperation(this, scope, plan!, operation);
  }

  /**
   * Runs `body` (which may submit many command buffers without waiting, e.g.
   * a training epoch) inside one pair of error scopes: a validation or
   * out-of-memory error of any of its submissions becomes a GpuError here.
   */
  async guard<T>(operation: string, body: () => Promise<T>): Promise<T> {
    this.assertUsable();
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    let result: T | undefined;
    let failure: { error: unknown } | undefined;
    try {
      result = await body();
    } catch (error) {
      failure = { error };
    }
    const validation = await popWithTimeout(this.device);
    const oom = await popWithTimeout(this.device);
    if (failure) throw failure.error;
    if (oom) throw new GpuError('out-of-memory', operation, oom.message);
    if (validation) throw new GpuError('validation', operation, validation.message);
    return result as T;
  }

  /** Records dispatches into one compute pass (bind groups built here, not by kernels). */
  encode(encoder: GPUCommandEncoder, steps: readonly Step[], label: string, timestampWrites?: GPUComputePassTimestampWrites): void {
    const maxDim = this.device.limits.maxComputeWorkgroupsPerDimension;
    // Copies must sit outside compute passes: split the steps into passes around them.
    let pass: GPUComputePassEncoder | undefined;
    let first = true;
    const end = () => {
      pass?.end();
      pass = undefined;
    };
    for (const step of steps) {
      if ('copy' in step) {
        end();
        encoder.copyBufferToBuffer(step.copy.source, step.copy.sourceOffset, step.copy.destination, step.copy.destinationOffset, step.copy.byteLength);
        continue;
      }
      const { workgroups, indirect } = step;
      if (workgroups === 0) continue;
      if (!pass) {
        // Timestamps bracket the first pass only; timed operations record a single pass.
        pass = encoder.beginComputePass(timestampWrites && first ? { label, timestampWrites } : { label });
        first = false;
      }
      step.bindGroup ??= this.device.createBindGroup({
        layout: step.pipeline.getBindGroupLayout(0),
        entries: step.buffers.flatMap((buffer, binding) => (buffer ? [{ binding, resource: { buffer } }] : [])),
      });
      pass.setPipeline(step.pipeline);
      pass.setBindGroup(0, step.bindGroup);
      if (indirect) {
        pass.dispatchWorkgroupsIndirect(indirect.buffer, indirect.offset);
      } else {
        const [x, y, z] = foldWorkgroups(workgroups, maxDim);
        pass.dispatchWorkgroups(x, y, z);
      }
    }
    if (first && timestampWrites) {
      // Nothing to dispatch: an empty pass still writes the timestamps.
      pass = encoder.beginComputePass({ label, timestampWrites });
    }
    end();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.ownsDevice) {
      pipelineCaches.delete(this.device);
      this.device.destroy();
    }
    this.gpu = undefined;
  }
}

/** popErrorScope can hang if the GPU process dies; the CTS bounds it at 5 s too. */
async function popWithTimeout(device: GPUDevice, ms = 5000): Promise<GPUError | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([device.popErrorScope(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
