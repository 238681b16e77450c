// Radix select: the value of rank `rank` (0-based, ascending) among `count`
// f32 values, without sorting and without reading values back. Floats map to
// u32 keys that sort like the floats; four passes each histogram one 8-bit
// digit of the keys that still match the prefix found so far, and a
// one-thread pass picks the digit holding the rank. State (prefix, mask,
// remaining rank) lives in a GPU buffer between passes.

const THREADS: u32 = 256u;

struct Params {
  count: u32,
  shift: u32,
  _pad0: u32,
  _pad1: u32,
}

// state[0] = key prefix, state[1] = prefix mask, state[2] = remaining rank.
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> state: array<u32, 4>;
@group(0) @binding(3) var<storage, read_write> hist: array<atomic<u32>, 256>;

var<workgroup> local: array<atomic<u32>, 256>;

fn sortableKey(v: f32) -> u32 {
  let bits = bitcast<u32>(v);
  // Negative: flip all bits (larger magnitude sorts first); positive: flip the sign bit.
  return select(bits ^ 0x80000000u, ~bits, (bits & 0x80000000u) != 0u);
}

@compute @workgroup_size(THREADS)
fn histogram(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let prefix = state[0];
  let mask = state[1];
  let stride = groups.x * groups.y * groups.z * THREADS;
  for (var i = linearInvocationId(wid, groups, lid, THREADS); i < params.count; i += stride) {
    let key = sortableKey(values[i]);
    if ((key & mask) == prefix) {
      atomicAdd(&local[(key >> params.shift) & 255u], 1u);
    }
  }
  workgroupBarrier();
  let c = atomicLoad(&local[lid.x]);
  if (c != 0u) { atomicAdd(&hist[lid.x], c); }
}

@compute @workgroup_size(1)
fn pick() {
  var rank = state[2];
  var below = 0u;
  var digit = 255u;
  for (var b = 0u; b < 256u; b++) {
    let c = atomicLoad(&hist[b]);
    if (digit == 255u && rank < below + c) { digit = b; rank -= below; }
    if (digit == 255u) { below += c; }
    atomicStore(&hist[b], 0u);
  }
  state[0] = state[0] | (digit << params.shift);
  state[1] = state[1] | (255u << params.shift);
  state[2] = rank;
}
