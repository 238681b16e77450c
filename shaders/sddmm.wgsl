// Sampled dense-dense product: out[k] = alpha · Σ_b dY[row(k), b] · X[col(k), b]
// at the stored entries k of a sparse pattern only (the weight gradient of a
// sparse layer; never a dense dW). Both operands are feature-major, so each
// entry is a dot product of two contiguous rows, which one thread streams 4
// values at a time. Neighbouring entries share their dY row (CSR order), so
// those loads are served from cache; no workgroup memory or barriers (a
// lanes-per-entry version with a workgroup reduction was ~10× slower on
// SwiftShader, where barriers are expensive).
//   CSR  row(k) from the COO row array, col(k) from colIdx
//   NM   row(k) = k / slotsPerRow, col(k) from the packed in-group positions
//   VEC4 batch % 4 == 0: both operands read as vec4f, no bounds checks (about
//        2× faster on SwiftShader, where each scalar load pays its own address
//        and bounds arithmetic)
// A model's training step fuses its optimizer here: the entry's gradient is
// applied to its weight in the invocation that computed it, never stored
// (fragments/sgd.wgsl, fragments/adam.wgsl, the same f32 steps as the
// separate passes):
//   SGD        values and velocity updated by SGD with momentum
//   ADAM       values and the two moments updated by Adam (t from step[0])
//   BIAS_ROWS  (SGD) biasRows more entries after the nnz stored ones: entry
//              nnz + r is bias r, whose gradient is alpha · Σ_b dY[r, b] (X
//              taken as ones, summed in the entries' lane order), updated in
//              bias and biasVelocity

// TRACE (fragments/trace.wgsl): access sites numbered as bench/model/kernels.ts's
// models of `main` and `sddmmWarp` (compared event for event by a test), and
// the buffers' ids (SDDMM_TRACE_BUFFERS in bench/model/wgsl-trace.ts). CSR only.
//!TRACE const S_ROW: u32 = 0u;
//!TRACE const S_COL: u32 = 1u;
//!TRACE const S_STORE: u32 = 2u;
//!TRACE const S_Y: u32 = 3u;
//!TRACE //!VEC4 const S_X: u32 = 4u;
//!TRACE //!VEC4 const S_SITES: u32 = 5u;
//!TRACE //!!VEC4 const S_X: u32 = 11u;
//!TRACE //!!VEC4 const S_SITES: u32 = 19u;
//!TRACE const SW_ROW: u32 = 0u;
//!TRACE const SW_COL: u32 = 1u;
//!TRACE const SW_Y: u32 = 2u;
//!TRACE const SW_X: u32 = 3u;
//!TRACE const SW_STORE: u32 = 4u;
//!TRACE const SW_SITES: u32 = 5u;
//!TRACE const T_ROW_OF: u32 = 0u;
//!TRACE const T_COL_IDX: u32 = 1u;
//!TRACE const T_DY: u32 = 2u;
//!TRACE const T_X: u32 = 3u;
//!TRACE const T_OUT: u32 = 4u;

fn entryRow(k: u32) -> u32 {
  //!CSR return rowOf[k];
  //!NM return k / params.slotsPerRow;
}

fn entryCol(k: u32) -> u32 {
  //!CSR return colIdx[k];
  //!NM let perWord = 32u / params.bits;
  //!NM let pos = (packed[k / perWord] >> ((k % perWord) * params.bits)) & (params.m - 1u);
  //!NM return ((k / params.n) % params.groupsPerRow) * params.m + pos;
}

//!!VEC4 fn load4Y(row: u32, b0: u32) -> vec4f {
//!!VEC4   let base = row * params.batch + b0;
//!!VEC4   if (b0 + 3u < params.batch) { return vec4f(dY[base], dY[base + 1u], dY[base + 2u], dY[base + 3u]); }
//!!VEC4   var v = vec4f(0.0);
//!!VEC4   for (var i = 0u; i < 4u; i++) { if (b0 + i < params.batch) { v[i] = dY[base + i]; } }
//!!VEC4   return v;
//!!VEC4 }

//!!VEC4 fn load4X(row: u32, b0: u32) -> vec4f {
//!!VEC4   let base = row * params.batch + b0;
//!!VEC4   if (b0 + 3u < params.batch) { return vec4f(X[base], X[base + 1u], X[base + 2u], X[base + 3u]); }
//!!VEC4   var v = vec4f(0.0);
//!!VEC4   for (var i = 0u; i < 4u; i++) { if (b0 + i < params.batch) { v[i] = X[base + i]; } }
//!!VEC4   return v;
//!!VEC4 }

// Entries of the dispatch: the stored ones, then (BIAS_ROWS) one per bias.
fn entryCount() -> u32 {
  //!BIAS_ROWS return params.nnz + params.biasRows;
  //!!BIAS_ROWS return params.nnz;
}

// Entry k's gradient g: stored (the plain SDDMM) or applied to its weight.
fn storeEntry(k: u32, g: f32) {
  //!BIAS_ROWS if (k >= params.nnz) {
  //!BIAS_ROWS   let b = sgdUpdate(bias[k - params.nnz], biasVelocity[k - params.nnz], g);
  //!BIAS_ROWS   biasVelocity[k - params.nnz] = b.y;
  //!BIAS_ROWS   bias[k - params.nnz] = b.x;
  //!BIAS_ROWS   return;
  //!BIAS_ROWS }
  //!!SGD //!!ADAM outValues[k] = g;
  //!SGD let u = sgdUpdate(values[k], velocity[k], g);
  //!SGD velocity[k] = u.y;
  //!SGD values[k] = u.x;
  //!ADAM let u = adamUpdate(values[k], firstMoment[k], secondMoment[k], g);
  //!ADAM firstMoment[k] = u.y;
  //!ADAM secondMoment[k] = u.z;
  //!ADAM values[k] = u.x;
}

// Bias r's gradient as `main` sums an entry, with X taken as ones.
//!BIAS_ROWS fn biasGradient(r: u32) -> f32 {
//!BIAS_ROWS   var acc = vec4f(0.0);
//!BIAS_ROWS   //!VEC4 let quads = params.batch / 4u;
//!BIAS_ROWS   //!VEC4 for (var q = 0u; q < quads; q++) { acc += dY[r * quads + q]; }
//!BIAS_ROWS   //!!VEC4 for (var b = 0u; b < params.batch; b += 4u) { acc += load4Y(r, b); }
//!BIAS_ROWS   return params.alpha * (acc.x + acc.y + acc.z + acc.w);
//!BIAS_ROWS }

@compute @workgroup_size(ENTRIES)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let k = linearWorkgroupId(wid, groups) * ENTRIES + lid.x;
  if (k >= entryCount()) { return; }
  //!BIAS_ROWS if (k >= params.nnz) { storeEntry(k, biasGradient(k - params.nnz)); return; }
  let r = entryRow(k);
  let c = entryCol(k);
  var acc = vec4f(0.0);
  //!VEC4 let quads = params.batch / 4u;
  //!VEC4 for (var q = 0u; q < quads; q++) { acc += dY[r * quads + q] * X[c * quads + q]; }
  //!!VEC4 for (var b = 0u; b < params.batch; b += 4u) {
  //!!VEC4   acc += load4Y(r, b) * load4X(c, b);
  //!!VEC4 }
  storeEntry(k, params.alpha * (acc.x + acc.y + acc.z + acc.w));
  //!TRACE traceInvocation = k;
  //!TRACE traceLoad(S_ROW, T_ROW_OF, 4u, k * 4u);
  //!TRACE traceLoad(S_COL, T_COL_IDX, 4u, k * 4u);
  //!TRACE //!VEC4 for (var q = 0u; q < quads; q++) {
  //!TRACE //!VEC4   traceLoad(S_Y + S_SITES * q, T_DY, 16u, (r * quads + q) * 16u);
  //!TRACE //!VEC4   traceLoad(S_X + S_SITES * q, T_X, 16u, (c * quads + q) * 16u);
  //!TRACE //!VEC4 }
  //!TRACE //!!VEC4 for (var b = 0u; b < params.batch; b += 4u) {
  //!TRACE //!!VEC4   // load4Y / load4X: four loads of a full quad, or the ones inside the batch (sites + 4).
  //!TRACE //!!VEC4   let partial = select(0u, 4u, b + 3u >= params.batch);
  //!TRACE //!!VEC4   for (var i = 0u; i < 4u; i++) {
  //!TRACE //!!VEC4     if (b + i < params.batch) {
  //!TRACE //!!VEC4       traceLoad(S_Y + partial + i + S_SITES * (b / 4u), T_DY, 4u, (r * params.batch + b + i) * 4u);
  //!TRACE //!!VEC4       traceLoad(S_X + partial + i + S_SITES * (b / 4u), T_X, 4u, (c * params.batch + b + i) * 4u);
  //!TRACE //!!VEC4     }
  //!TRACE //!!VEC4   }
  //!TRACE //!!VEC4 }
  //!TRACE traceStore(S_STORE, T_OUT, 4u, k * 4u);
}

// --- GPU-shaped SDDMM (entry point sddmmWarp; the 'gpu' kernel profile) ---
// Lanes along the batch, for real GPUs: a workgroup computes WARP_ENTRIES
// consecutive entries, one warp-sized group of WARP_LANES invocations per
// entry (local_invocation_index = lid.x + WARP_LANES · lid.y, so a 32-lane
// warp is one entry). Lane i sums the batch columns i, i + WARP_LANES, …, so
// a warp reads 128 contiguous bytes of dY and of X per load instead of 32
// rows 16 bytes each; the lanes' partial sums meet in workgroup memory, and
// WARP_ENTRIES lanes of the first warp add one entry's partials each (in
// lane order) and store WARP_ENTRIES neighbouring results at once. Rows of
// `partials` are padded by one word so those lanes read different banks.
// Needs no feature; its barrier measured costly on SwiftShader, which keeps
// `main`. Operands are read as f32 (a warp's 32 floats are already one
// coalesced 128-byte read): no VEC4 programs of this entry point, whose loads
// are inert where VEC4 binds vec4f.

const PARTIAL_STRIDE: u32 = WARP_LANES + 1u;

var<workgroup> partials: array<f32, PARTIAL_STRIDE * WARP_ENTRIES>;

@compute @workgroup_size(WARP_LANES, WARP_ENTRIES)
fn sddmmWarp(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let first = linearWorkgroupId(wid, groups) * WARP_ENTRIES;
  let k = first + lid.y;
  var partial = 0.0;
  //!TRACE traceInvocation = first * WARP_LANES + lid.x + WARP_LANES * lid.y;
  if (k < params.nnz) {
    //!!VEC4 let y = entryRow(k) * params.batch;
    //!!VEC4 let x = entryCol(k) * params.batch;
    //!!VEC4 for (var b = lid.x; b < params.batch; b += WARP_LANES) { partial += dY[y + b] * X[x + b]; }
    //!TRACE traceLoad(SW_ROW, T_ROW_OF, 4u, k * 4u);
    //!TRACE traceLoad(SW_COL, T_COL_IDX, 4u, k * 4u);
    //!TRACE //!!VEC4 for (var b = lid.x; b < params.batch; b += WARP_LANES) {
    //!TRACE //!!VEC4   traceLoad(SW_Y + SW_SITES * ((b - lid.x) / WARP_LANES), T_DY, 4u, (y + b) * 4u);
    //!TRACE //!!VEC4   traceLoad(SW_X + SW_SITES * ((b - lid.x) / WARP_LANES), T_X, 4u, (x + b) * 4u);
    //!TRACE //!!VEC4 }
  }
  //!BIAS_ROWS //!!VEC4 if (k >= params.nnz && k < entryCount()) {
  //!BIAS_ROWS //!!VEC4   let yb = (k - params.nnz) * params.batch;
  //!BIAS_ROWS //!!VEC4   for (var b = lid.x; b < params.batch; b += WARP_LANES) { partial += dY[yb + b]; }
  //!BIAS_ROWS //!!VEC4 }
  partials[lid.y * PARTIAL_STRIDE + lid.x] = partial;
  workgroupBarrier();
  if (lid.y == 0u && lid.x < WARP_ENTRIES && first + lid.x < entryCount()) {
    var total = 0.0;
    for (var i = 0u; i < WARP_LANES; i++) { total += partials[lid.x * PARTIAL_STRIDE + i]; }
    storeEntry(first + lid.x, params.alpha * total);
    //!TRACE traceStore(SW_STORE, T_OUT, 4u, (first + lid.x) * 4u);
  }
}
