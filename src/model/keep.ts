import type { GpuContext } from '../gpu/gpu-context.js';
import { StateArrays, type LinearLayer, type StatePart } from '../layers/linear-layer.js';

/**
 * Reads every layer's training state (weights with their sparse structure,
 * biases, optimizer moments) back from the GPU and makes it the layers' host
 * copy, which is what survives a device loss. One submission and one mapping
 * for the whole model (split only where a staging buffer would pass the
 * device's buffer limit); the host arrays are fresh, so a copy in progress
 * never tears the previous one: a loss during it leaves the old copy whole.
 * Returns false (keeping the previous copy) when the state is not finite.
 */
export async function keepHostCopies(ctx: GpuContext, all: readonly LinearLayer[], description: string): Promise<boolean> {
  // A layer the GPU has not moved past its copy (just attached, or kept and not trained since) costs nothing.
  for (const layer of all) if (layer.hostCopyIsCurrent) layer.describeHostCopy(description);
  const layers = all.filter((layer) => !layer.hostCopyIsCurrent);
  if (layers.length === 0) return true;
  const parts = layers.map((layer) => layer.keptStateParts());
  const flat = parts.flat();
  const arrays: Array<Float32Array | Uint32Array> = [];
  for (const chunk of chunks(flat, ctx.maxBufferBytes)) arrays.push(...(await readParts(ctx, chunk)));
  // Overflowed weights (training on with stopOnNonFinite: false) are no state to resume from:
  // the previous copy stays, whole, and says which epoch it is.
  if (!arrays.every(allFinite)) return false;
  let next = 0;
  for (const [i, layer] of layers.entries()) {
    const own = arrays.slice(next, next + parts[i]!.length);
    next += own.length;
    layer.keepHostCopy(new StateArrays(own), description);
  }
  return true;
}

function allFinite(a: Float32Array | Uint32Array): boolean {
  if (a instanceof Uint32Array) return true;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

/** Parts grouped so that each group's packed bytes fit one staging buffer. */
function chunks(parts: StatePart[], maxBytes: number): StatePart[][] {
  const out: StatePart[][] = [];
  let current: StatePart[] = [];
  let bytes = 0;
  for (const part of parts) {
    const size = part.length * 4;
    if (current.length > 0 && bytes + size > maxBytes) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(part);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function readParts(ctx: GpuContext, parts: StatePart[]): Promise<Array<Float32Array | Uint32Array>> {
  const offsets: number[] = [];
  let total = 0;
  for (const part of parts) {
    offsets.push(total);
    total += part.length * 4;
  }
  return ctx.run('keep model state', (s) => {
    const out = s.output('model state read-back', total);
    parts.forEach((part, i) => s.copy(part.buffer, out, part.length * 4, offsets[i]!));
    return {
      result: out,
      byteLength: total,
      // Views of the one read-back copy (run() already copied it off the mapping): no second copy.
      decode: (bytes) => parts.map((part, i) => (part.type === 'u32' ? new Uint32Array(bytes, offsets[i]!, part.length) : new Float32Array(bytes, offsets[i]!, part.length))),
    };
  });
}
