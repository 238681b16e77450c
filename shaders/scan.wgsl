// Exclusive prefix sum of u32 values, the building block of every CSR
// rebuild (row counts → rowPtr). Three-phase: scanBlocks scans BLOCK values
// per workgroup and writes each block's total;
// the totals are scanned the same way (recursively, by the host side); then
// addBlockOffsets adds each block's scanned total to its values.

const THREADS: u32 = 256u;
const ITEMS: u32 = 12u;
const BLOCK: u32 = 3072u; // THREADS * ITEMS (13 KB with the partials: within the 16 KB default limit)

struct Params {
  count: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> data: array<u32>;
@group(0) @binding(2) var<storage, read_write> blockSums: array<u32>;

var<workgroup> tile: array<u32, BLOCK>;
var<workgroup> partial: array<u32, THREADS>;

// In place over `data`; blockSums[b] = the total of block b. Each thread
// scans ITEMS consecutive values sequentially, so only the 256 per-thread
// totals go through the barrier-heavy Blelloch tree: few barriers per value,
// which matters on every GPU and enormously on software ones (SwiftShader).
@compute @workgroup_size(THREADS)
fn scanBlocks(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let block = linearWorkgroupId(wid, groups);
  let base = block * BLOCK;
  // Coalesced loads into workgroup memory.
  for (var i = 0u; i < ITEMS; i++) {
    let idx = base + i * THREADS + lid.x;
    tile[i * THREADS + lid.x] = select(0u, data[min(idx, params.count - 1u)], idx < params.count);
  }
  workgroupBarrier();
  var sum = 0u;
  for (var i = 0u; i < ITEMS; i++) {
    let v = tile[lid.x * ITEMS + i];
    tile[lid.x * ITEMS + i] = sum;
    sum += v;
  }
  partial[lid.x] = sum;
  // Blelloch over the per-thread totals (each thread owns one pair slot below THREADS / 2).
  var offset = 1u;
  for (var d = THREADS >> 1u; d > 0u; d = d >> 1u) {
    workgroupBarrier();
    if (lid.x < d) {
      let ai = offset * (2u * lid.x + 1u) - 1u;
      let bi = offset * (2u * lid.x + 2u) - 1u;
      partial[bi] += partial[ai];
    }
    offset = offset << 1u;
  }
  workgroupBarrier();
  if (lid.x == 0u) {
    blockSums[block] = partial[THREADS - 1u];
    partial[THREADS - 1u] = 0u;
  }
  for (var d = 1u; d < THREADS; d = d << 1u) {
    offset = offset >> 1u;
    workgroupBarrier();
    if (lid.x < d) {
      let ai = offset * (2u * lid.x + 1u) - 1u;
      let bi = offset * (2u * lid.x + 2u) - 1u;
      let t = partial[ai];
      partial[ai] = partial[bi];
      partial[bi] += t;
    }
  }
  workgroupBarrier();
  let prefix = partial[lid.x];
  for (var i = 0u; i < ITEMS; i++) {
    tile[lid.x * ITEMS + i] += prefix;
  }
  workgroupBarrier();
  for (var i = 0u; i < ITEMS; i++) {
    let idx = base + i * THREADS + lid.x;
    if (idx < params.count) { data[idx] = tile[i * THREADS + lid.x]; }
  }
}

// data[i] += blockSums[block of i] (blockSums already scanned).
@compute @workgroup_size(THREADS)
fn addBlockOffsets(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let block = linearWorkgroupId(wid, groups);
  let offset = blockSums[block];
  for (var i = 0u; i < ITEMS; i++) {
    let idx = block * BLOCK + i * THREADS + lid.x;
    if (idx < params.count) { data[idx] += offset; }
  }
}
