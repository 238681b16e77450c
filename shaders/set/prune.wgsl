// SET magnitude pruning on the GPU (Mocanu et al. 2018, as the reference code
// does it): with a = min |w|, firstZeroPos = #{w < -a} and
// lastZeroPos = n - #{w > a} (the reference's positions of the value closest
// to zero in the sorted weights), thresholdRanks turns these two counters into
// the ranks of largestNegative and smallestPositive, radix select finds them, and
// keepFlags marks w > smallestPositive or w < largestNegative.

var<workgroup> wgMin: atomic<u32>;
var<workgroup> wgBelow: atomic<u32>;
var<workgroup> wgAbove: atomic<u32>;

// Both passes stride over the weights with a bounded grid, reduce per thread,
// then per workgroup, and touch the global counters once per workgroup:
// a million invocations hitting one atomic serialise badly (on SwiftShader
// the first version spent seconds there).
@compute @workgroup_size(THREADS)
fn absMin(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let stride = groups.x * groups.y * groups.z * THREADS;
  var mn = 0x7f800000u; // +Infinity; non-negative floats order like their bit patterns
  for (var i = linearInvocationId(wid, groups, lid, THREADS); i < params.count; i += stride) {
    mn = min(mn, bitcast<u32>(abs(values[i])));
  }
  if (lid.x == 0u) { atomicStore(&wgMin, 0x7f800000u); }
  workgroupBarrier();
  atomicMin(&wgMin, mn);
  workgroupBarrier();
  if (lid.x == 0u) { atomicMin(&stats[0], atomicLoad(&wgMin)); }
}

@compute @workgroup_size(THREADS)
fn countOutside(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let stride = groups.x * groups.y * groups.z * THREADS;
  let a = bitcast<f32>(atomicLoad(&stats[0]));
  var below = 0u;
  var above = 0u;
  for (var i = linearInvocationId(wid, groups, lid, THREADS); i < params.count; i += stride) {
    let v = values[i];
    below += select(0u, 1u, v < -a);
    above += select(0u, 1u, v > a);
  }
  if (lid.x == 0u) {
    atomicStore(&wgBelow, 0u);
    atomicStore(&wgAbove, 0u);
  }
  workgroupBarrier();
  atomicAdd(&wgBelow, below);
  atomicAdd(&wgAbove, above);
  workgroupBarrier();
  if (lid.x == 0u) {
    atomicAdd(&stats[1], atomicLoad(&wgBelow));
    atomicAdd(&stats[2], atomicLoad(&wgAbove));
  }
}

@compute @workgroup_size(THREADS)
fn keepFlags(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i >= params.count) { return; }
  let largestNegative = keyToFloat(thresholds[0]);
  let smallestPositive = keyToFloat(thresholds[4]);
  let v = values[i];
  flags[i] = select(0u, 1u, v > smallestPositive || v < largestNegative);
}

// The threshold ranks on the GPU, so that no counter is read back between
// the statistics and the selects. setThresholdRanks (kernels/set/prune.ts)
// computes them in float64:
//   negative = floor((1 − ζ) · first),  positive = floor(min(n − 1, last + ζ · (n − last)))
// with first = #{w < −a} = stats[1] and last = n − #{w > a}. Here they are
// exact integers: the host passes the doubles 1 − ζ and ζ as 53-bit
// integers over 2^keepFrac and 2^zetaFrac (exactly their values; a ζ below
// 2⁻⁶⁴ as 0, which gives the same ranks), each float64 product and sum is
// formed exactly in 160-bit fixed point (fragments/wide.wgsl) and rounded
// to 53 significant bits half to even as IEEE 754 rounds it, and the floor
// is a shift. Record i of `count`: stats at words 4i.., a fresh radix select
// state (selectRank's layout, ranks in words 2 and 6) at words 8i...
@compute @workgroup_size(THREADS)
fn thresholdRanks(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i >= params.count) { return; }
  let n = params.n;
  let first = statsIn[4u * i + 1u];
  let last = n - statsIn[4u * i + 2u];
  let negative = shiftRightWide(roundToDoubleWide(mulWide(params.keepHi, params.keepLo, first)), params.keepFrac)[0];
  // ζ · (n − last) over 2^zetaFrac, then last + it at RANK_FRAC fractional bits (zetaFrac ≤ RANK_FRAC).
  let grown = roundToDoubleWide(mulWide(params.zetaHi, params.zetaLo, n - last));
  let sum = addWide(shiftLeftWide(wideOf(last), RANK_FRAC), shiftLeftWide(grown, RANK_FRAC - params.zetaFrac));
  let positive = min(n - 1u, shiftRightWide(roundToDoubleWide(sum), RANK_FRAC)[0]);
  for (var w = 0u; w < 8u; w++) { selectState[8u * i + w] = 0u; }
  selectState[8u * i + 2u] = negative;
  selectState[8u * i + 6u] = positive;
}
