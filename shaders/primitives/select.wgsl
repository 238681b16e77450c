// Radix select: the values of one or two ranks (0-based, ascending) among
// `count` f32 values, without sorting and without reading values back. Floats
// map to u32 keys that sort like the floats; four passes each histogram one
// 8-bit digit of the keys that still match the prefix found so far, and a
// one-thread pass picks the digit holding each rank. State (prefix, mask,
// remaining rank) lives in a GPU buffer between passes.
//
// Two ranks share every read of the values (SET needs two thresholds of the
// same weights), and while both have found the same prefix (always in the
// first pass) they share one histogram: the first pass, where every value
// matches, is the expensive one.

var<workgroup> local: array<atomic<u32>, 512>;

// Whether the second select still follows the first (then its counts are the first's).
fn sharedPrefix() -> bool {
  return params.selects == 1u || (state[0] == state[4] && state[1] == state[5]);
}

@compute @workgroup_size(THREADS)
fn histogram(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let prefixA = state[0];
  let maskA = state[1];
  let prefixB = state[4];
  let maskB = state[5];
  let separate = !sharedPrefix();
  let stride = groups.x * groups.y * groups.z * THREADS;
  for (var i = linearInvocationId(wid, groups, lid, THREADS); i < params.count; i += stride) {
    let key = sortableKey(values[i]);
    let digit = (key >> params.shift) & 255u;
    if ((key & maskA) == prefixA) { atomicAdd(&local[digit], 1u); }
    if (separate && (key & maskB) == prefixB) { atomicAdd(&local[256u + digit], 1u); }
  }
  workgroupBarrier();
  let a = atomicLoad(&local[lid.x]);
  if (a != 0u) { atomicAdd(&hist[lid.x], a); }
  if (separate) {
    let b = atomicLoad(&local[256u + lid.x]);
    if (b != 0u) { atomicAdd(&hist[256u + lid.x], b); }
  }
}

fn pickDigit(j: u32, bins: u32) {
  var rank = state[4u * j + 2u];
  var below = 0u;
  var digit = 255u;
  for (var b = 0u; b < 256u; b++) {
    let c = atomicLoad(&hist[bins + b]);
    if (digit == 255u && rank < below + c) { digit = b; rank -= below; }
    if (digit == 255u) { below += c; }
  }
  state[4u * j] = state[4u * j] | (digit << params.shift);
  state[4u * j + 1u] = state[4u * j + 1u] | (255u << params.shift);
  state[4u * j + 2u] = rank;
}

@compute @workgroup_size(1)
fn pick() {
  let together = sharedPrefix();
  pickDigit(0u, 0u);
  if (params.selects == 2u) { pickDigit(1u, select(256u, 0u, together)); }
  for (var b = 0u; b < 512u; b++) { atomicStore(&hist[b], 0u); }
}
