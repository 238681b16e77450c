// Exclusive prefix sum of u32 values, the building block of every CSR
// rebuild (row counts → rowPtr). Three-phase: scanBlocks scans BLOCK values
// per workgroup in workgroup memory and writes each block's total;
// the totals are scanned the same way (recursively, by the host side); then
// addBlockOffsets adds each block's scanned total to its values.

const THREADS: u32 = 256u;
const BLOCK: u32 = 512u; // 2 values per thread

struct Params {
  count: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> data: array<u32>;
@group(0) @binding(2) var<storage, read_write> blockSums: array<u32>;

var<workgroup> temp: array<u32, BLOCK>;

// In place over `data`; blockSums[b] = the total of block b.
@compute @workgroup_size(THREADS)
fn scanBlocks(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let block = linearWorkgroupId(wid, groups);
  let base = block * BLOCK;
  let i0 = base + 2u * lid.x;
  var a = 0u;
  var b = 0u;
  if (i0 < params.count) { a = data[i0]; }
  if (i0 + 1u < params.count) { b = data[i0 + 1u]; }
  temp[2u * lid.x] = a;
  temp[2u * lid.x + 1u] = b;
  // Blelloch up-sweep.
  var offset = 1u;
  for (var d = BLOCK >> 1u; d > 0u; d = d >> 1u) {
    workgroupBarrier();
    if (lid.x < d) {
      let ai = offset * (2u * lid.x + 1u) - 1u;
      let bi = offset * (2u * lid.x + 2u) - 1u;
      temp[bi] += temp[ai];
    }
    offset = offset << 1u;
  }
  workgroupBarrier();
  if (lid.x == 0u) {
    blockSums[block] = temp[BLOCK - 1u];
    temp[BLOCK - 1u] = 0u;
  }
  // Down-sweep.
  for (var d = 1u; d < BLOCK; d = d << 1u) {
    offset = offset >> 1u;
    workgroupBarrier();
    if (lid.x < d) {
      let ai = offset * (2u * lid.x + 1u) - 1u;
      let bi = offset * (2u * lid.x + 2u) - 1u;
      let t = temp[ai];
      temp[ai] = temp[bi];
      temp[bi] += t;
    }
  }
  workgroupBarrier();
  if (i0 < params.count) { data[i0] = temp[2u * lid.x]; }
  if (i0 + 1u < params.count) { data[i0 + 1u] = temp[2u * lid.x + 1u]; }
}

// data[i] += blockSums[block of i] (blockSums already scanned).
@compute @workgroup_size(THREADS)
fn addBlockOffsets(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let block = linearWorkgroupId(wid, groups);
  let i0 = block * BLOCK + 2u * lid.x;
  let offset = blockSums[block];
  if (i0 < params.count) { data[i0] += offset; }
  if (i0 + 1u < params.count) { data[i0 + 1u] += offset; }
}
