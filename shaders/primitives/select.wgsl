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
//
// pick walks 256 bins per select and clears 512 on one thread (~1,000
// dependent steps): fine on SwiftShader, a long lone chain on a GPU. The
// 'gpu' kernel profile runs pickScan instead: 256 threads, a bin each, find
// the digit by a workgroup inclusive scan of the bins (8 steps per select)
// and clear their own bins. Same digits, same state.

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

var<workgroup> scanned: array<u32, 256>;

// Inclusive prefix sum of one bin per thread over the workgroup (Hillis–Steele, 8 doublings).
fn inclusiveBins(t: u32, count: u32) -> u32 {
  scanned[t] = count;
  workgroupBarrier();
  for (var offset = 1u; offset < 256u; offset <<= 1u) {
    var add = 0u;
    if (t >= offset) { add = scanned[t - offset]; }
    workgroupBarrier();
    scanned[t] += add;
    workgroupBarrier();
  }
  return scanned[t];
}

// Select j's digit from bins [bins, bins + 256): the thread whose bin holds the rank writes it
// (digit 255 and the rank unchanged when no bin does, as pickDigit).
fn pickDigitScan(j: u32, bins: u32, t: u32, rank: u32, prefix: u32, mask: u32) {
  let count = atomicLoad(&hist[bins + t]);
  let through = inclusiveBins(t, count);
  let total = scanned[255];
  let before = through - count;
  let found = rank >= before && rank < through;
  if (found || (t == 255u && rank >= total)) {
    state[4u * j] = prefix | (t << params.shift);
    state[4u * j + 1u] = mask | (255u << params.shift);
    state[4u * j + 2u] = select(rank, rank - before, found);
  }
  workgroupBarrier();
}

@compute @workgroup_size(256)
fn pickScan(@builtin(local_invocation_id) lid: vec3u) {
  let t = lid.x;
  // Everything read before any thread writes the state.
  let together = sharedPrefix();
  let rankA = state[2];
  let prefixA = state[0];
  let maskA = state[1];
  let rankB = state[6];
  let prefixB = state[4];
  let maskB = state[5];
  storageBarrier();
  workgroupBarrier();
  pickDigitScan(0u, 0u, t, rankA, prefixA, maskA);
  if (params.selects == 2u) { pickDigitScan(1u, select(256u, 0u, together), t, rankB, prefixB, maskB); }
  atomicStore(&hist[t], 0u);
  atomicStore(&hist[256u + t], 0u);
}
