// RigL growth on the GPU (see kernels/rigl.ts for the rule): grow k
// connections at the absent positions with the largest |g|, G = dY·Xᵀ,
// never materialising G. Per block of rows (host loop, no read-back):
//   blockGradient      |G| of the block into pool[k …], a TS × TS tile per
//                      workgroup (fragments/gemm-tile.wgsl, as gemm NT); each
//                      g sums over the batch in order b = 0, 1, … (the CPU twin's order)
//   maskPresent        −1 at the positions present in the kept layer
//   (radix select of the k-th largest key of the pool, shaders/primitives/select.wgsl)
//   countCandidates    per chunk of CHUNK pool slots: how many are > and
//                      = the threshold (the chunk counts are then scanned)
//   scatterCandidates  the new top-k: every >, and the first k − #> of the
//                      = in pool order (= row-major order: pool[0 … k) are
//                      the carried candidates of earlier rows, in order),
//                      written stably: chunk offsets + a workgroup scan
//                      (fragments/workgroup-scan.wgsl)
// (A fused count / scan / scatter: no flag arrays the size of the pool.)
// Then, once:
//   countGrown         grown per row (the candidates are row-major sorted)
//   rowPointers        new rowPtr = kept rowPtr + scanned grown counts
//   mergeRows          per row: merge kept columns with grown ones
//   gatherValues       values and optimizer state (grown: 0 and 0)
// (both fragments/row-merge.wgsl)
// pool[0 … k) holds the carried candidates' values, −1 while a slot holds
// none yet; −1 sorts below every |g| ≥ 0 so such slots lose to any real one.

const MASK_THREADS: u32 = 64u;
// Pool slots per workgroup in count / scatter: ITEMS per thread (12 KB of workgroup memory at 12).
const CHUNK: u32 = ITEMS * THREADS;

var<workgroup> chunkCount: array<atomic<u32>, 2>;

// The GEMM tile's hooks: op(A) = dY's rows of this block, op(B) = Xᵀ (X is cols × batch).
fn mm_readA(row: u32, k: u32) -> f32 {
  return dY[(params.row0 + row) * params.batch + k];
}

fn mm_readB(k: u32, col: u32) -> f32 {
  return X[col * params.batch + k];
}

fn mm_write(row: u32, col: u32, value: f32) {
  // |g| by clearing the sign bit: exact, and −0 becomes +0.
  pool[params.k + row * params.cols + col] = bitcast<f32>(bitcast<u32>(value) & 0x7fffffffu);
}

@compute @workgroup_size(16, 16)
fn blockGradient(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let tilesM = (params.blockRows + TS - 1u) / TS;
  let g = linearWorkgroupId(wid, groups);
  if (g >= tilesM * params.tilesN) { return; }
  mm_tile((g / params.tilesN) * TS, (g % params.tilesN) * TS, lid, params.blockRows, params.cols, params.batch);
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
  let before = workgroupExclusiveScan(lid.x, vec2u(above, equal));
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

// The row merge's hooks (fragments/row-merge.wgsl): a row's new entries are
// its grown candidates (carryIn holds them, row-major sorted), all taken, with value 0.
fn newEntries(r: u32) -> vec2u {
  return vec2u(growPtr[r], growPtr[r + 1u]);
}

fn nextNew(i: u32, end: u32) -> u32 {
  return i;
}

fn newColumn(i: u32) -> u32 {
  return carryIn[i].y;
}

fn newSource(i: u32) -> u32 {
  return NEW_ENTRY;
}

fn newValue(s: u32) -> f32 {
  return 0.0;
}

fn mergedEntries() -> u32 {
  return params.count;
}
