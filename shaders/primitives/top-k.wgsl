// The k largest of `count` f32 values, after a radix select of the value at
// ascending rank count − k (primitives/select.wgsl: state[0] holds its
// sortable key, state[2] its rank among the values equal to it). Ties at the
// threshold go to lower indices: in ascending order equal values rank by
// descending index, so the state[2] highest-indexed ties are the ones left
// below the cut. out: the chosen indices in ascending order (words [0, k)),
// then their values' bits (words [k, 2k)); the host reads only these 2k words.
//
// One workgroup walks the values from the top index down, THREADS at a time
// (lane t of a chunk holds its t-th highest index), so the ties above an
// index, and with them whether it is chosen and where it goes, come from a
// scan of (above, tie) flags plus the running totals of earlier chunks.
// One workgroup serialises count / THREADS chunks: fine for a ranking of
// input features once per epoch, not a general sort.

var<workgroup> chunkTotal: vec2u;

@compute @workgroup_size(THREADS)
fn gather(@builtin(local_invocation_id) lid: vec3u) {
  let t = lid.x;
  let threshold = state[0];
  let skip = state[2];
  // Values above the threshold, and ties, at indices above the current chunk.
  var above = 0u;
  var ties = 0u;
  let chunks = (params.count + THREADS - 1u) / THREADS;
  for (var chunk = 0u; chunk < chunks; chunk++) {
    let top = params.count - chunk * THREADS;
    let inRange = t < top;
    var flags = vec2u(0u);
    var i = 0u;
    if (inRange) {
      i = top - 1u - t;
      let key = sortableKey(values[i]);
      flags = vec2u(select(0u, 1u, key > threshold), select(0u, 1u, key == threshold));
    }
    let before = workgroupExclusiveScan(t, flags);
    let tiesAbove = ties + before.y;
    let chosen = flags.x == 1u || (flags.y == 1u && tiesAbove >= skip);
    if (chosen) {
      // Chosen values at higher indices: all those above the threshold, and the ties past the skipped ones.
      let chosenAbove = above + before.x + max(tiesAbove, skip) - skip;
      let slot = params.k - 1u - chosenAbove;
      out[slot] = i;
      out[params.k + slot] = bitcast<u32>(values[i]);
    }
    if (t == THREADS - 1u) { chunkTotal = before + flags; }
    workgroupBarrier();
    above += chunkTotal.x;
    ties += chunkTotal.y;
  }
}
