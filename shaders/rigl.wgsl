// RigL growth on the GPU (see kernels/set/rigl.ts for the rule): grow k
// connections at the absent positions with the largest |g|, G = dY·Xᵀ,
// never materialising G. Per block of rows (host loop, no read-back):
//   blockGradient      |G| of the block into pool[k …], a 64 × 64 tile per
//                      workgroup as in gemm.wgsl; each g sums over the batch
//                      in order b = 0, 1, … (the CPU twin's order)
//   maskPresent        −1 at the positions present in the kept layer
//   (radix select of the k-th largest key of the pool, shaders/primitives/select.wgsl)
//   countCandidates    per chunk of CHUNK pool slots: how many are > and
//                      = the threshold (the chunk counts are then scanned)
//   scatterCandidates  the new top-k: every >, and the first k − #> of the
//                      = in pool order (= row-major order: pool[0 … k) are
//                      the carried candidates of earlier rows, in order),
//                      written stably: chunk offsets + a workgroup scan
// (A fused count / scan / scatter: no flag arrays the size of the pool.)
// Then, once:
//   countGrown         grown per row (the candidates are row-major sorted)
//   rowPointers        new rowPtr = kept rowPtr + scanned grown counts
//   mergeRows          per row: merge kept columns with grown ones
//   gatherValues       values and optimizer state (grown: 0 and 0)
// pool[0 … k) holds the carried candidates' values, −1 while a slot holds
// none yet; −1 sorts below every |g| ≥ 0 so such slots lose to any real one.

const TS: u32 = 64u;
const TK: u32 = 16u;
const TILE_THREADS: u32 = 256u;
const THREADS: u32 = 256u;
const MASK_THREADS: u32 = 64u;
// Pool slots per thread and per workgroup in count / scatter (12 KB of workgroup memory).
const ITEMS: u32 = 12u;
const CHUNK: u32 = 3072u;
// The workgroup scan of per-thread counts: SCAN_GROUPS threads each scan
// THREADS / SCAN_GROUPS counts serially, then one thread the group totals.
// Four barriers instead of a tree's sixteen (barriers dominate on SwiftShader).
const SCAN_GROUPS: u32 = 16u;
const NEW_ENTRY: u32 = 0xffffffffu;

struct Params {
  rows: u32,
  cols: u32,
  batch: u32,
  row0: u32,
  blockRows: u32,
  k: u32,
  // Pool size k + blockRows · cols (blocks); the grown layer's nnz (merge).
  count: u32,
  tilesN: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dY: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> pool: array<f32>;
@group(0) @binding(4) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(5) var<storage, read> colIdx: array<u32>;
// Per chunk: slots above / equal to the threshold (chunks + 1 words, scanned in place between the passes).
@group(0) @binding(6) var<storage, read_write> chunkGt: array<u32>;
@group(0) @binding(7) var<storage, read_write> chunkEq: array<u32>;
// Radix select state: word 0 is the threshold's sortable key.
@group(0) @binding(8) var<storage, read> threshold: array<u32, 4>;
// Candidate positions (row, col).
@group(0) @binding(9) var<storage, read> carryIn: array<vec2u>;
@group(0) @binding(10) var<storage, read_write> carryOut: array<vec2u>;
@group(0) @binding(11) var<storage, read_write> carryValue: array<f32>;
@group(0) @binding(12) var<storage, read_write> growCount: array<atomic<u32>>;
@group(0) @binding(13) var<storage, read> growPtr: array<u32>;
@group(0) @binding(14) var<storage, read_write> newRowPtr: array<u32>;
@group(0) @binding(15) var<storage, read_write> newColIdx: array<u32>;
// For each merged entry: its index in the kept layer, or NEW_ENTRY.
@group(0) @binding(16) var<storage, read_write> source: array<u32>;
@group(0) @binding(17) var<storage, read> values: array<f32>;
@group(0) @binding(18) var<storage, read> state: array<f32>;
@group(0) @binding(19) var<storage, read_write> newValues: array<f32>;
@group(0) @binding(20) var<storage, read_write> newState: array<f32>;

var<workgroup> As: array<array<f32, TS>, TK>; // [b][row of the tile]
var<workgroup> Bs: array<array<f32, TS>, TK>; // [b][column of the tile]
var<workgroup> chunkCount: array<atomic<u32>, 2>;
var<workgroup> partial: array<vec2u, THREADS>;
var<workgroup> groupTotal: array<vec2u, SCAN_GROUPS>;

// As shaders/primitives/select.wgsl: a u32 that sorts like the float.
fn sortableKey(v: f32) -> u32 {
  let bits = bitcast<u32>(v);
  return select(bits ^ 0x80000000u, ~bits, (bits & 0x80000000u) != 0u);
}

@compute @workgroup_size(16, 16)
fn blockGradient(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let M = params.blockRows;
  let N = params.cols;
  let K = params.batch;
  let tilesM = (M + TS - 1u) / TS;
  let g = linearWorkgroupId(wid, groups);
  if (g >= tilesM * params.tilesN) { return; }
  let row0 = (g / params.tilesN) * TS;
  let col0 = (g % params.tilesN) * TS;
  let tid = lid.y * 16u + lid.x;

  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < K; k0 += TK) {
    for (var i = 0u; i < (TS * TK) / TILE_THREADS; i++) {
      let e = tid + i * TILE_THREADS;
      let mm = e / TK;
      let kk = e % TK;
      var a = 0.0;
      if (row0 + mm < M && k0 + kk < K) { a = dY[(params.row0 + row0 + mm) * K + k0 + kk]; }
      As[kk][mm] = a;
      var b = 0.0;
      if (col0 + mm < N && k0 + kk < K) { b = X[(col0 + mm) * K + k0 + kk]; }
      Bs[kk][mm] = b;
    }
    workgroupBarrier();
    // Padding adds exact zeros after the real terms: the sums are unchanged.
    for (var kk = 0u; kk < TK; kk++) {
      let a = vec4f(As[kk][lid.y * 4u], As[kk][lid.y * 4u + 1u], As[kk][lid.y * 4u + 2u], As[kk][lid.y * 4u + 3u]);
      let b = vec4f(Bs[kk][lid.x * 4u], Bs[kk][lid.x * 4u + 1u], Bs[kk][lid.x * 4u + 2u], Bs[kk][lid.x * 4u + 3u]);
      acc[0] += a.x * b;
      acc[1] += a.y * b;
      acc[2] += a.z * b;
      acc[3] += a.w * b;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y * 4u + i;
    if (r >= M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x * 4u + j;
      // |g| by clearing the sign bit: exact, and −0 becomes +0.
      if (c < N) { pool[params.k + r * N + c] = bitcast<f32>(bitcast<u32>(acc[i][j]) & 0x7fffffffu); }
    }
  }
}

@compute @workgroup_size(MASK_THREADS)
fn maskPresent(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let m = linearWorkgroupId(wid, groups);
  if (m >= params.blockRows) { return; }
  let r = params.row0 + m;
  let base = params.k + m * params.cols;
  for (var e = rowPtr[r] + lid.x; e < rowPtr[r + 1u]; e += MASK_THREADS) {
    pool[base + colIdx[e]] = -1.0;
  }
}

fn chunks() -> u32 {
  return (params.count + CHUNK - 1u) / CHUNK;
}

@compute @workgroup_size(THREADS)
fn countCandidates(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let chunk = linearWorkgroupId(wid, groups);
  if (chunk >= chunks()) { return; }
  let t = threshold[0];
  var above = 0u;
  var equal = 0u;
  for (var i = 0u; i < ITEMS; i++) {
    let idx = chunk * CHUNK + i * THREADS + lid.x;
    if (idx < params.count) {
      let key = sortableKey(pool[idx]);
      above += select(0u, 1u, key > t);
      equal += select(0u, 1u, key == t);
    }
  }
  if (above != 0u) { atomicAdd(&chunkCount[0], above); }
  if (equal != 0u) { atomicAdd(&chunkCount[1], equal); }
  workgroupBarrier();
  if (lid.x == 0u) {
    chunkGt[chunk] = atomicLoad(&chunkCount[0]);
    chunkEq[chunk] = atomicLoad(&chunkCount[1]);
  }
}

@compute @workgroup_size(THREADS)
fn scatterCandidates(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let chunk = linearWorkgroupId(wid, groups);
  let total = chunks();
  if (chunk >= total) { return; }
  // Each thread walks ITEMS consecutive slots in pool order.
  let first = chunk * CHUNK + lid.x * ITEMS;
  let t = threshold[0];
  var above = 0u;
  var equal = 0u;
  for (var j = 0u; j < ITEMS; j++) {
    if (first + j < params.count) {
      let key = sortableKey(pool[first + j]);
      above += select(0u, 1u, key > t);
      equal += select(0u, 1u, key == t);
    }
  }
  // Exclusive scan of the per-thread counts, in two serial levels.
  partial[lid.x] = vec2u(above, equal);
  workgroupBarrier();
  let per = THREADS / SCAN_GROUPS;
  if (lid.x < SCAN_GROUPS) {
    var sum = vec2u(0u);
    for (var i = lid.x * per; i < (lid.x + 1u) * per; i++) {
      let c = partial[i];
      partial[i] = sum;
      sum += c;
    }
    groupTotal[lid.x] = sum;
  }
  workgroupBarrier();
  if (lid.x == 0u) {
    var sum = vec2u(0u);
    for (var g = 0u; g < SCAN_GROUPS; g++) {
      let c = groupTotal[g];
      groupTotal[g] = sum;
      sum += c;
    }
  }
  workgroupBarrier();
  let before = partial[lid.x] + groupTotal[lid.x / per];
  // chunkGt / chunkEq are scanned: offsets of this chunk, and the totals at the end.
  let need = params.k - chunkGt[total];
  var gtRank = chunkGt[chunk] + before.x;
  var eqRank = chunkEq[chunk] + before.y;
  for (var j = 0u; j < ITEMS; j++) {
    let i = first + j;
    if (i >= params.count) { break; }
    let v = pool[i];
    let key = sortableKey(v);
    var pos = 0xffffffffu;
    if (key > t) {
      pos = gtRank + min(eqRank, need);
      gtRank++;
    } else if (key == t) {
      if (eqRank < need) { pos = gtRank + eqRank; }
      eqRank++;
    }
    if (pos == 0xffffffffu) { continue; }
    carryValue[pos] = v;
    if (i < params.k) {
      carryOut[pos] = carryIn[i];
    } else {
      let e = i - params.k;
      carryOut[pos] = vec2u(params.row0 + e / params.cols, e % params.cols);
    }
  }
}

@compute @workgroup_size(THREADS)
fn countGrown(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i >= params.k) { return; }
  atomicAdd(&growCount[carryIn[i].x], 1u);
}

@compute @workgroup_size(THREADS)
fn rowPointers(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = linearInvocationId(wid, groups, lid, THREADS);
  if (r <= params.rows) { newRowPtr[r] = rowPtr[r] + growPtr[r]; }
}

@compute @workgroup_size(THREADS)
fn mergeRows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = linearInvocationId(wid, groups, lid, THREADS);
  if (r >= params.rows) { return; }
  var k = rowPtr[r];
  let end = rowPtr[r + 1u];
  var g = growPtr[r];
  let growEnd = growPtr[r + 1u];
  var out = newRowPtr[r];
  loop {
    let haveNew = g < growEnd;
    if (!haveNew && k >= end) { break; }
    if (haveNew && (k >= end || carryIn[g].y < colIdx[k])) {
      newColIdx[out] = carryIn[g].y;
      source[out] = NEW_ENTRY;
      g++;
    } else {
      newColIdx[out] = colIdx[k];
      source[out] = k;
      k++;
    }
    out++;
  }
}

@compute @workgroup_size(THREADS)
fn gatherValues(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let e = linearInvocationId(wid, groups, lid, THREADS);
  if (e >= params.count) { return; }
  let s = source[e];
  if (s == NEW_ENTRY) {
    newValues[e] = 0.0;
    newState[e] = 0.0;
  } else {
    newValues[e] = values[s];
    newState[e] = state[s];
  }
}
