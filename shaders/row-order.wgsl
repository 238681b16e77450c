// The 'gpu' kernel profile's CSR gather schedule (kernels/row-order.ts),
// rebuilt on the GPU from row pointers whenever a layer's topology changes,
// so skewed rows (evolved layers, transposes, imported models) stay balanced
// without a read-back. Rows are ordered by length bin, longest bins first and
// by row index within a bin (a stable counting sort of bin keys):
//   key = ORDER_BINS - 1 - bit length of the row's length (0 for the longest)
//   binCounts   per block of ORDER_ROWS rows, how many rows fall in each key,
//               stored key-major (counts[key · blocks + block]), so one
//               exclusive scan (kernels/primitives/scan.ts) gives every
//               (key, block) the first slot of its rows, in key then block order
//   binScatter  each row's slot: its (key, block) start plus the rows of its
//               block before it with the same key (a walk of the block's keys
//               in workgroup memory; rows of a block are ORDER_ROWS at most)
// The schedule (what gatherWarp reads): SCHEDULE_HEADER words, word 0 the
// number of long rows (bit length ≥ params.longBits, chosen by the host from
// the mean length: they come first, and the gather splits each over a whole
// workgroup), then SCHEDULE_STRIDE words per
// slot: the row, its first entry and its end. Carrying the row's range
// itself lets the gather drop the row-pointer binding (WebGPU's default of 8
// storage buffers per stage, which the fused forward's epilogue fills).

var<workgroup> blockKeys: array<u32, ORDER_ROWS>;
var<workgroup> blockCounts: array<atomic<u32>, ORDER_BINS>;

fn rowKey(r: u32) -> u32 {
  let len = rowPtr[r + 1u] - rowPtr[r];
  return ORDER_BINS - 1u - (32u - countLeadingZeros(len));
}

@compute @workgroup_size(ORDER_ROWS)
fn binCounts(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let block = linearWorkgroupId(wid, groups);
  let r = block * ORDER_ROWS + lid.x;
  if (lid.x < ORDER_BINS) { atomicStore(&blockCounts[lid.x], 0u); }
  workgroupBarrier();
  // Counts only: the order of the atomic adds does not matter.
  if (block < params.blocks && r < params.rows) { atomicAdd(&blockCounts[rowKey(r)], 1u); }
  workgroupBarrier();
  if (block < params.blocks && lid.x < ORDER_BINS) { counts[lid.x * params.blocks + block] = atomicLoad(&blockCounts[lid.x]); }
}

// counts now holds the scanned (key, block) table.
@compute @workgroup_size(ORDER_ROWS)
fn binScatter(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let block = linearWorkgroupId(wid, groups);
  let r = block * ORDER_ROWS + lid.x;
  let inside = block < params.blocks && r < params.rows;
  var key = ORDER_BINS;
  if (inside) { key = rowKey(r); }
  blockKeys[lid.x] = key;
  workgroupBarrier();
  if (!inside) { return; }
  var rank = 0u;
  for (var i = 0u; i < lid.x; i++) { rank += select(0u, 1u, blockKeys[i] == key); }
  let at = SCHEDULE_HEADER + SCHEDULE_STRIDE * (counts[key * params.blocks + block] + rank);
  schedule[at] = r;
  schedule[at + 1u] = rowPtr[r];
  schedule[at + 2u] = rowPtr[r + 1u];
  // Long rows take the keys below that of bit length longBits - 1: they end where the first short key's rows begin.
  if (r == 0u) {
    let firstShort = ORDER_BINS - params.longBits;
    schedule[0] = counts[firstShort * params.blocks];
  }
}
