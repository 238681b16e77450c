import type { OperationScope } from '../../src/gpu/gpu-context.js';
import type { Kernel } from '../../src/gpu/kernel.js';
import { NMMatrix, packPositions } from '../../src/formats/nm.js';
import { randomU32, randomUnit } from '../../src/random.js';
import type { NMBuffers } from '../spmm.js';
import { selectRank } from '../primitives/select.js';
import { programs } from '../programs.js';
import { mulhi } from './regrow.js';

const { THREADS } = programs.nmEvolveGroups.layout.consts;
export const NM_EVOLVE_STREAM = 0x2e4000;
/** Sortable key of +Infinity: a threshold every finite group minimum is below. */
const KEY_POSITIVE_INFINITY = 0xff800000;

/**
 * N:M evolution inside each group, shared rule of both backends: the groups
 * whose weakest |w| lies below the value at rank ⌊ζ·groups⌋ of the group
 * minima (all groups when ζ = 1, none when ζ = 0) drop that weakest weight
 * and regrow one at a uniformly chosen position of the group not held by its
 * other slots; new weight uniform(-limit, limit), zero velocity.
 */
export function nmEvolveRank(groups: number, zeta: number): number {
  return Math.floor(zeta * groups);
}

/**
 * The CPU side of nmEvolve. Returns the evolved matrix, velocity (and the optional second
 * per-slot state, e.g. Adam's second moment, moved the same way) and how many
 * groups changed.
 */
function evolveGroupsCpu(
  W: NMMatrix,
  velocity: Float32Array,
  zeta: number,
  seed: number,
  limit: number,
  second: Float32Array = new Float32Array(W.nnz),
): { W: NMMatrix; velocity: Float32Array; second: Float32Array; groups: number } {
  const { n, m } = W;
  const groups = W.nnz / n;
  const mins = new Float32Array(groups);
  for (let g = 0; g < groups; g++) {
    let mn = Math.abs(W.values[g * n]!);
    for (let t = 1; t < n; t++) mn = Math.min(mn, Math.abs(W.values[g * n + t]!));
    mins[g] = mn;
  }
  const rank = nmEvolveRank(groups, zeta);
  const threshold = rank >= groups ? Number.POSITIVE_INFINITY : Float32Array.from(mins).sort()[rank]!;
  const values = Float32Array.from(W.values);
  const vel = Float32Array.from(velocity);
  const sec = Float32Array.from(second);
  const positions = Array.from({ length: W.nnz }, (_, k) => W.slotPosition(k));
  let changed = 0;
  for (let g = 0; g < groups; g++) {
    if (!(mins[g]! < threshold)) continue;
    changed++;
    const first = g * n;
    let weakest = 0;
    for (let t = 1; t < n; t++) if (Math.abs(values[first + t]!) < Math.abs(values[first + weakest]!)) weakest = t;
    let taken = 0;
    for (let t = 0; t < n; t++) if (t !== weakest) taken |= 1 << positions[first + t]!;
    let r = mulhi(randomU32(seed, NM_EVOLVE_STREAM, g), m - (n - 1));
    let p = 0;
    for (;;) {
      if (!(taken & (1 << p))) {
        if (r === 0) break;
        r--;
      }
      p++;
    }
    positions[first + weakest] = p;
    values[first + weakest] = Math.fround(Math.fround(limit) * (2 * randomUnit(seed, NM_EVOLVE_STREAM + 1, g) - 1));
    vel[first + weakest] = 0;
    sec[first + weakest] = 0;
    const slots = Array.from({ length: n }, (_, t) => ({ p: positions[first + t]!, v: values[first + t]!, w: vel[first + t]!, s: sec[first + t]! })).sort((a, b) => a.p - b.p);
    slots.forEach((s, t) => {
      positions[first + t] = s.p;
      values[first + t] = s.v;
      vel[first + t] = s.w;
      sec[first + t] = s.s;
    });
  }
  return { W: new NMMatrix({ rows: W.rows, cols: W.cols, n, m, values, indices: packPositions(positions, m) }), velocity: vel, second: sec, groups: changed };
}

/** The GPU side of nmEvolve: the same evolution recorded in place on resident N:M weights, velocity and second state; nothing is read back. */
function recordEvolveGroups(
  s: OperationScope,
  shape: { rows: number; cols: number; n: number; m: number },
  weights: NMBuffers & { velocity: GPUBuffer; second: GPUBuffer },
  zeta: number,
  seed: number,
  limit: number,
): void {
  const { n, m } = shape;
  const groups = shape.rows * (shape.cols / m);
  const slots = groups * n;
  const bits = Math.log2(m);
  const words = Math.ceil(slots / Math.floor(32 / bits));
  if (groups === 0) return;
  const uniforms = s.uniforms(programs.nmEvolveGroups, { groups, n, m, bits, words, seed, stream: NM_EVOLVE_STREAM, slots, limit });
  const groupMin = s.output('group minima', groups * 4);
  const perGroup = Math.ceil(groups / THREADS);
  s.dispatch(programs.nmGroupMinimum, { bindings: { values: weights.values, groupMin }, uniforms, workgroups: perGroup });
  const rank = nmEvolveRank(groups, zeta);
  let threshold: GPUBuffer;
  if (rank >= groups) {
    threshold = s.output('threshold', 16);
    s.writeWords(threshold, new Uint32Array([KEY_POSITIVE_INFINITY, 0, 0, 0]));
  } else {
    threshold = selectRank.encode(s, groupMin, groups, [rank]);
  }
  const positions = s.output('new positions', slots * 4);
  s.dispatch(programs.nmEvolveGroups, {
    bindings: { values: weights.values, velocity: weights.velocity, packed: weights.indices, groupMin, threshold, positions, second: weights.second },
    uniforms,
    workgroups: perGroup,
  });
  s.dispatch(programs.nmPackWords, { bindings: { packed: weights.indices, positions }, uniforms, workgroups: Math.ceil(words / THREADS) });
}

/**
 * The N:M in-group evolution (see nmEvolveRank) as one kernel: `cpu` over a
 * host matrix and its per-slot state, `encode` in place over resident buffers
 * (one recording: group minima, a radix select of the threshold, the group
 * update and the repacking).
 */
export const nmEvolve: Kernel<Parameters<typeof evolveGroupsCpu>, ReturnType<typeof evolveGroupsCpu>, Tail<Parameters<typeof recordEvolveGroups>>> = {
  name: 'nmEvolve',
  cpu: evolveGroupsCpu,
  encode: recordEvolveGroups,
};

/** A parameter list without its first entry (the OperationScope). */
type Tail<T extends unknown[]> = T extends [unknown, ...infer Rest] ? Rest : never;
