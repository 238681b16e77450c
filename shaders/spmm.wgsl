// Y = A · X for a sparse A whose rows gather rows of a dense, feature-major X
// (features × batch). One shader serves three formats, switched by flags:
//   CSR        A in CSR (forward Y = W·X, rows visited in length order)
//   CSR+PERM   A = Wᵀ through W's transpose index (values reached via perm)
//   NM         A in N:M (every row the same length; columns from packed indices)
// A workgroup owns ROWS_PER_WG rows × TILE_B batch columns; each thread
// accumulates COLS_PER_THREAD consecutive batch columns of one row, so one
// (column, value) load feeds 16 multiply-adds. The threads of a row read the
// same pairs, which the cache serves as broadcasts: no workgroup memory or
// barriers (barriers are costly on software implementations such as
// SwiftShader and measured no gain). Rows are visited longest first (CSR), so
// rows sharing a workgroup have similar lengths and few lanes idle
// (Sputnik's row swizzle).
//   VEC4       batch % 4 == 0: X read as vec4f, one load per four columns
//              (measured ~2× faster on SwiftShader, where each scalar load pays
//              its own address and bounds arithmetic; GPUs vectorise it too).
//   ALIGNED    N:M rows start on a packed word: one flat loop over a row's
//              slots, like CSR's (nested word/field loops and vec4 value
//              loads with dynamic lane picks measured ~10 % slower on
//              SwiftShader, whose loops each carry lane-mask bookkeeping).
// Epilogues of a model's training step, applied where the sum is stored (so
// the product's output is written once, not re-read by small passes):
//   BIAS       forward: z = W·X + b stored in Y (the backward pass needs z);
//              `main`'s CSR rows in index order (an emulation training
//              operand's row order is the identity, and its binding goes to
//              the bias); gatherWarp's through its schedule (SCHED, below)
//   ACT        with BIAS: also A = f(z) · dropout mask (fragments/activation.wgsl)
//   DERIV      backward (Wᵀ): Y holds z on entry and gets
//              dZ = (Wᵀ·dY) ⊙ f'(z) ⊙ mask, each element read and written by
//              the one invocation that owns it

const TILE_B: u32 = THREADS_B * COLS_PER_THREAD;

//!NM override NM_N: u32 = 2u;
//!NM override NM_M: u32 = 4u;

var<private> acc: array<vec4f, 4>;

// TRACE (fragments/trace.wgsl): the access sites of `main` and of
// `gatherWarp`, numbered as bench/model/kernels.ts's models of them (a test
// compares the two traces event for event), and the buffers' ids in events
// (GATHER_TRACE_BUFFERS in bench/model/wgsl-trace.ts). CSR only.
//!TRACE const G_ORDER: u32 = 0u;
//!TRACE const G_PTR: u32 = 1u;
//!TRACE const G_PTR_END: u32 = 2u;
//!TRACE const G_STORE: u32 = 3u;
//!TRACE const G_PERM: u32 = 19u;
//!TRACE const G_VALUES: u32 = 20u;
//!TRACE const G_COL: u32 = 21u;
//!TRACE const G_X: u32 = 22u;
//!TRACE const G_X_PARTIAL: u32 = 38u;
//!TRACE const G_SITES: u32 = 54u;
//!TRACE const W_ORDER: u32 = 0u;
//!TRACE const W_PTR: u32 = 1u;
//!TRACE const W_PTR_END: u32 = 2u;
//!TRACE const W_COL: u32 = 3u;
//!TRACE const W_PERM: u32 = 4u;
//!TRACE const W_VALUES: u32 = 5u;
//!TRACE const W_X: u32 = 6u;
//!TRACE const W_STORE: u32 = 10u;
//!TRACE const W_FIXUP: u32 = 14u;
//!TRACE const W_LONG: u32 = 15u;
//!TRACE const W_SITES: u32 = 16u;
//!TRACE const T_ROW_ORDER: u32 = 0u;
//!TRACE const T_ROW_PTR: u32 = 1u;
//!TRACE const T_COL_IDX: u32 = 2u;
//!TRACE const T_PERM: u32 = 3u;
//!TRACE const T_VALUES: u32 = 4u;
//!TRACE const T_X: u32 = 5u;
//!TRACE const T_Y: u32 = 6u;
//!TRACE const T_SCHEDULE: u32 = 7u;
// The loop iteration of `main`'s row loop (the nonzero's position in its row), for accumulate's events.
//!TRACE var<private> traceIteration: u32;
//!TRACE fn gatherStep(site: u32) -> u32 { return site + G_SITES * traceIteration; }

// Adds v · X[col, b0 .. b0+15] to the accumulators.
fn accumulate(v: f32, col: u32, b0: u32, full: bool) {
  // No bounds branch: past the batch (only in a partial tile) the loads read
  // the next row of X, or are clamped by WebGPU's robust buffer access, into
  // accumulators that are never stored. A branch here cost SwiftShader, which
  // runs both sides of a divergent if, as much as the loads themselves.
  //!VEC4 let base = (col * params.batch + b0) / 4u;
  //!VEC4 acc[0] += v * X[base];
  //!VEC4 acc[1] += v * X[base + 1u];
  //!VEC4 acc[2] += v * X[base + 2u];
  //!VEC4 acc[3] += v * X[base + 3u];
  //!VEC4 //!TRACE for (var q = 0u; q < 4u; q++) { traceLoad(gatherStep(G_X + q), T_X, 16u, (base + q) * 16u); }
  //!!VEC4 let base = col * params.batch + b0;
  //!!VEC4 if (full) {
  //!!VEC4   for (var q = 0u; q < 4u; q++) {
  //!!VEC4     let o = base + q * 4u;
  //!!VEC4     acc[q] += v * vec4f(X[o], X[o + 1u], X[o + 2u], X[o + 3u]);
  //!!VEC4     //!TRACE for (var j = 0u; j < 4u; j++) { traceLoad(gatherStep(G_X + q * 4u + j), T_X, 4u, (o + j) * 4u); }
  //!!VEC4   }
  //!!VEC4 } else {
  //!!VEC4   for (var i = 0u; i < COLS_PER_THREAD; i++) {
  //!!VEC4     if (b0 + i < params.batch) { acc[i / 4u][i % 4u] += v * X[base + i]; }
  //!!VEC4     //!TRACE if (b0 + i < params.batch) { traceLoad(gatherStep(G_X_PARTIAL + i), T_X, 4u, (base + i) * 4u); }
  //!!VEC4   }
  //!!VEC4 }
}

fn accumulateRow(r: u32, b0: u32, full: bool) {
  //!CSR //!!SCHED for (var k = rowPtr[r]; k < rowPtr[r + 1u]; k++) {
  //!CSR //!!SCHED   //!TRACE traceIteration = k - rowPtr[r];
  //!CSR //!!SCHED   //!TRACE //!PERM traceLoad(gatherStep(G_PERM), T_PERM, 4u, k * 4u);
  //!CSR //!!SCHED   //!TRACE //!PERM traceLoad(gatherStep(G_VALUES), T_VALUES, 4u, perm[k] * 4u);
  //!CSR //!!SCHED   //!TRACE //!!PERM traceLoad(gatherStep(G_VALUES), T_VALUES, 4u, k * 4u);
  //!CSR //!!SCHED   //!TRACE traceLoad(gatherStep(G_COL), T_COL_IDX, 4u, k * 4u);
  //!CSR //!!SCHED   //!PERM accumulate(values[perm[k]], colIdx[k], b0, full);
  //!CSR //!!SCHED   //!!PERM accumulate(values[k], colIdx[k], b0, full);
  //!CSR //!!SCHED }
  // N:M: N and M are pipeline constants, so the group loops unroll.
  //!NM let bits = countTrailingZeros(NM_M);
  //!NM let perWord = 32u / bits;
  //!NM let first = r * params.slotsPerRow;
  //!NM //!ALIGNED // Rows start on a packed word (see nmWordAligned): one flat loop over
  //!NM //!ALIGNED // the row's slots, a word loaded every perWord slots.
  //!NM //!ALIGNED var fieldBits = 0u;
  //!NM //!ALIGNED for (var k = 0u; k < params.slotsPerRow; k++) {
  //!NM //!ALIGNED   if (k % perWord == 0u) { fieldBits = packed[(first + k) / perWord]; }
  //!NM //!ALIGNED   accumulate(values[first + k], (k / NM_N) * NM_M + (fieldBits & (NM_M - 1u)), b0, full);
  //!NM //!ALIGNED   fieldBits = fieldBits >> bits;
  //!NM //!ALIGNED }
  //!NM //!!ALIGNED // Any layout: decode the packed positions incrementally (no division per slot).
  //!NM //!!ALIGNED var word = first / perWord;
  //!NM //!!ALIGNED var field = first % perWord;
  //!NM //!!ALIGNED var bitsLeft = packed[word] >> (field * bits);
  //!NM //!!ALIGNED var k = first;
  //!NM //!!ALIGNED for (var g = 0u; g < params.groupsPerRow; g++) {
  //!NM //!!ALIGNED   let groupBase = g * NM_M;
  //!NM //!!ALIGNED   for (var t = 0u; t < NM_N; t++) {
  //!NM //!!ALIGNED     accumulate(values[k], groupBase + (bitsLeft & (NM_M - 1u)), b0, full);
  //!NM //!!ALIGNED     k++;
  //!NM //!!ALIGNED     field++;
  //!NM //!!ALIGNED     bitsLeft = bitsLeft >> bits;
  //!NM //!!ALIGNED     if (field == perWord) { field = 0u; word++; bitsLeft = packed[min(word, arrayLength(&packed) - 1u)]; }
  //!NM //!!ALIGNED   }
  //!NM //!!ALIGNED }
}

// `main`'s row of a slot (gatherWarp's CSR programs, SCHED, read theirs from the schedule).
fn rowAt(slot: u32) -> u32 {
  //!CSR //!!SCHED //!!BIAS return rowOrder[slot];
  //!CSR //!!SCHED //!BIAS return slot;
  //!SCHED return slot;
  //!NM return slot;
}

// Stores element e (of row r) of the output from its sum v, through the
// program's epilogue: the plain product, z = v + b (and A = f(z) · mask), or
// dZ = v · f'(z) · mask in place of z. The same f32 steps, in the same order,
// as the separate addBias, activate and derive passes.
//!!VEC4 fn storeOne(e: u32, r: u32, v: f32) {
//!!VEC4   //!!BIAS //!!DERIV Y[e] = v;
//!!VEC4   //!BIAS let z = v + bias[r];
//!!VEC4   //!BIAS Y[e] = z;
//!!VEC4   //!BIAS //!ACT A[e] = activationOf(z) * dropoutScale(e);
//!!VEC4   //!DERIV Y[e] = v * activationPrime(Y[e]) * dropoutScale(e);
//!!VEC4 }

// storeOne for the four elements of vec4 slot `at` (elements 4·at …).
//!VEC4 fn storeQuad(at: u32, r: u32, v: vec4f) {
//!VEC4   //!!BIAS //!!DERIV Y[at] = v;
//!VEC4   //!BIAS let z = v + bias[r];
//!VEC4   //!BIAS Y[at] = z;
//!VEC4   //!BIAS //!ACT let e = 4u * at;
//!VEC4   //!BIAS //!ACT A[at] = vec4f(activationOf(z.x), activationOf(z.y), activationOf(z.z), activationOf(z.w)) * vec4f(dropoutScale(e), dropoutScale(e + 1u), dropoutScale(e + 2u), dropoutScale(e + 3u));
//!VEC4   //!DERIV let z = Y[at];
//!VEC4   //!DERIV let e = 4u * at;
//!VEC4   //!DERIV Y[at] = v * vec4f(activationPrime(z.x), activationPrime(z.y), activationPrime(z.z), activationPrime(z.w)) * vec4f(dropoutScale(e), dropoutScale(e + 1u), dropoutScale(e + 2u), dropoutScale(e + 3u));
//!VEC4 }

@compute @workgroup_size(THREADS_B, ROWS_PER_WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let g = linearWorkgroupId(wid, groups);
  let slot = (g / params.batchTiles) * ROWS_PER_WG + lid.y;
  let b0 = (g % params.batchTiles) * TILE_B + lid.x * COLS_PER_THREAD;
  if (slot >= params.rows || b0 >= params.batch) { return; }
  let r = rowAt(slot);
  let full = b0 + COLS_PER_THREAD <= params.batch;
  //!TRACE traceInvocation = g * THREADS_B * ROWS_PER_WG + lid.x + THREADS_B * lid.y;
  //!TRACE traceLoad(G_ORDER, T_ROW_ORDER, 4u, slot * 4u);
  //!TRACE traceLoad(G_PTR, T_ROW_PTR, 4u, r * 4u);
  //!TRACE traceLoad(G_PTR_END, T_ROW_PTR, 4u, (r + 1u) * 4u);
  accumulateRow(r, b0, full);
  //!VEC4 let base = (r * params.batch + b0) / 4u;
  //!VEC4 for (var q = 0u; q < 4u; q++) {
  //!VEC4   if (b0 + q * 4u < params.batch) { storeQuad(base + q, r, acc[q]); }
  //!VEC4   //!TRACE if (b0 + q * 4u < params.batch) { traceStore(G_STORE + q, T_Y, 16u, (base + q) * 16u); }
  //!VEC4 }
  //!!VEC4 let base = r * params.batch + b0;
  //!!VEC4 for (var i = 0u; i < COLS_PER_THREAD; i++) {
  //!!VEC4   if (b0 + i < params.batch) { storeOne(base + i, r, acc[i / 4u][i % 4u]); }
  //!!VEC4   //!TRACE if (b0 + i < params.batch) { traceStore(G_STORE + i, T_Y, 4u, (base + i) * 4u); }
  //!!VEC4 }
}

// --- GPU-shaped gather (entry point gatherWarp; the 'gpu' kernel profile) ---
// Shaped for real GPUs, where the shape above leaves lanes idle and reads
// scattered: a workgroup owns WARP_ROWS rows × WARP_TILE_B batch columns, one
// warp-sized group of WARP_LANES invocations per row (local_invocation_index
// = lid.x + WARP_LANES · lid.y, so a 32-lane warp is one row). Lane i takes
// batch columns b0 + i + WARP_LANES · q (q < WARP_COLS): the lanes of a warp
// read 32 neighbouring floats (128 bytes, 4 sectors) of X per load, for any
// batch, and every lane has a column whenever the batch is a multiple of 32
// (no idle lanes at batch 64 or 128). The row's (column, value) pairs are
// staged WARP_LANES at a time in workgroup memory (one coalesced load per
// array, instead of every lane reloading each pair), and each staged pair
// feeds WARP_COLS independent loads of X (several in flight). Needs no
// feature (no subgroups); the barriers it takes measured costly on
// SwiftShader, which keeps the entry point above. X is read as f32 (no VEC4
// programs of this entry point: its loads are coalesced without vectors, and
// a vec4 per lane would idle half a warp at batch 64), so its X and Y lines
// are inert where VEC4 binds vec4f.
//
// CSR (flag SCHED): rows are visited through the schedule of
// shaders/row-order.wgsl (length bins, longest first, so a workgroup's rows
// end their strips together), which also carries each row's entry range (no
// rowPtr binding: the fused forward's epilogue needs the room). Its first
// `long` slots are rows of at least 128 entries and 4 × the mean length
// (kernels/row-order.ts, longRowThreshold): each is one unit of work for a
// whole workgroup, its WARP_ROWS warps taking a quarter of the entries each
// (whole strips) into a partial row, which the fix-up at the end of the unit
// adds in warp order (deterministic: the same sum whatever the timing) before
// the epilogue. The other rows come WARP_ROWS to a unit. Splitting makes more
// units than the dispatch has workgroups (one per WARP_ROWS rows, as without
// it): workgroup g takes units g, g + groups, … — the longest rows first and
// the shortest last, so the extra rounds fall on the cheapest units. The
// partials stay in workgroup memory: a fix-up pass of its own would cost each
// gather a dispatch (the training step's floor is 15), and one workgroup
// cannot read another's partials within a dispatch (WGSL has no device-scope
// memory ordering). So a row is split 4 ways at most, and its longest
// invocation walks a quarter of it. N:M rows all have the same length: one
// unit of WARP_ROWS rows per workgroup, in index order, no schedule.

const WARP_TILE_B: u32 = WARP_LANES * WARP_COLS;

var<workgroup> stagedColumn: array<u32, WARP_LANES * WARP_ROWS>;
var<workgroup> stagedValue: array<f32, WARP_LANES * WARP_ROWS>;
var<workgroup> rowLengths: array<u32, WARP_ROWS>;
var<workgroup> longestRow: u32;
// A split row's partial sums: warp w's column c of the tile at w · WARP_TILE_B + c.
var<workgroup> partialSums: array<f32, WARP_ROWS * WARP_TILE_B>;

// The row of slot `slot`, its first entry and its end (`main`'s CSR
// programs, which do not run gatherWarp, through rowOrder and rowPtr).
fn slotRow(slot: u32) -> u32 {
  //!SCHED return schedule[SCHEDULE_HEADER + SCHEDULE_STRIDE * slot];
  //!CSR //!!SCHED return rowAt(slot);
  //!NM return slot;
}

fn slotStart(slot: u32) -> u32 {
  //!SCHED return schedule[SCHEDULE_HEADER + SCHEDULE_STRIDE * slot + 1u];
  //!CSR //!!SCHED return rowPtr[rowAt(slot)];
  //!NM return slot * params.slotsPerRow;
}

fn slotEnd(slot: u32) -> u32 {
  //!SCHED return schedule[SCHEDULE_HEADER + SCHEDULE_STRIDE * slot + 2u];
  //!CSR //!!SCHED return rowPtr[rowAt(slot) + 1u];
  //!NM return (slot + 1u) * params.slotsPerRow;
}

// Rows split over a workgroup (the first slots); a read-only binding, so every invocation's load is uniform.
fn longRows() -> u32 {
  //!SCHED return schedule[0];
  //!!SCHED return 0u;
}

// The column of the entry at position k of the arrays, the i-th of its row.
fn entryColumn(k: u32, i: u32) -> u32 {
  //!CSR return colIdx[k];
  //!NM let bits = countTrailingZeros(NM_M);
  //!NM let perWord = 32u / bits;
  //!NM return (i / NM_N) * NM_M + ((packed[k / perWord] >> ((k % perWord) * bits)) & (NM_M - 1u));
}

fn entryValue(k: u32) -> f32 {
  //!PERM return values[perm[k]];
  //!!PERM return values[k];
}

@compute @workgroup_size(WARP_LANES, WARP_ROWS)
fn gatherWarp(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let g = linearWorkgroupId(wid, groups);
  let tile = g % params.batchTiles;
  let b0 = tile * WARP_TILE_B + lid.x;
  let dispatched = (params.rows + WARP_ROWS - 1u) / WARP_ROWS;
  let longUnits = longRows();
  let units = longUnits + (params.rows - longUnits + WARP_ROWS - 1u) / WARP_ROWS;
  //!TRACE traceInvocation = g * WARP_LANES * WARP_ROWS + lid.x + WARP_LANES * lid.y;
  //!TRACE //!SCHED if (g / params.batchTiles < dispatched) { traceLoad(W_LONG, T_SCHEDULE, 4u, 0u); }
  //!TRACE var round = 0u;
  //!TRACE var stripBase = 0u;
  for (var unit = g / params.batchTiles; unit < units; unit += dispatched) {
    let split = unit < longUnits;
    var slot = unit;
    if (!split) { slot = longUnits + (unit - longUnits) * WARP_ROWS + lid.y; }
    var r = 0u;
    var start = 0u;
    var len = 0u;
    if (slot < params.rows) {
      r = slotRow(slot);
      start = slotStart(slot);
      len = slotEnd(slot) - start;
      //!TRACE //!SCHED let at = (SCHEDULE_HEADER + SCHEDULE_STRIDE * slot) * 4u;
      //!TRACE //!SCHED traceLoad(W_ORDER + W_SITES * round, T_SCHEDULE, 4u, at);
      //!TRACE //!SCHED traceLoad(W_PTR + W_SITES * round, T_SCHEDULE, 4u, at + 4u);
      //!TRACE //!SCHED traceLoad(W_PTR_END + W_SITES * round, T_SCHEDULE, 4u, at + 8u);
      if (split) {
        // This warp's quarter, in whole strips (its staging loads stay aligned).
        let quarter = (len + WARP_ROWS * WARP_LANES - 1u) / (WARP_ROWS * WARP_LANES) * WARP_LANES;
        let skipped = min(len, lid.y * quarter);
        start += skipped;
        len = min(len - skipped, quarter);
      }
    }
    // The workgroup walks as many strips as its longest row needs (a uniform
    // bound, so the barriers below are reached by every invocation).
    if (lid.x == 0u) { rowLengths[lid.y] = len; }
    workgroupBarrier();
    if (lid.x == 0u && lid.y == 0u) {
      var longest = 0u;
      for (var i = 0u; i < WARP_ROWS; i++) { longest = max(longest, rowLengths[i]); }
      longestRow = longest;
    }
    let strips = (workgroupUniformLoad(&longestRow) + WARP_LANES - 1u) / WARP_LANES;
    // Zeroed for every unit by its initializer (without one, SwiftShader kept the previous unit's sums).
    var sum = array<f32, WARP_COLS>();
    let mine = lid.y * WARP_LANES;
    for (var s = 0u; s < strips; s++) {
      let first = s * WARP_LANES;
      if (first + lid.x < len) {
        let k = start + first + lid.x;
        stagedColumn[mine + lid.x] = entryColumn(k, first + lid.x);
        stagedValue[mine + lid.x] = entryValue(k);
        //!TRACE traceLoad(W_COL + W_SITES * (stripBase + s), T_COL_IDX, 4u, k * 4u);
        //!TRACE //!PERM traceLoad(W_PERM + W_SITES * (stripBase + s), T_PERM, 4u, k * 4u);
        //!TRACE //!PERM traceLoad(W_VALUES + W_SITES * (stripBase + s), T_VALUES, 4u, perm[k] * 4u);
        //!TRACE //!!PERM traceLoad(W_VALUES + W_SITES * (stripBase + s), T_VALUES, 4u, k * 4u);
      }
      workgroupBarrier();
      // Entries in row order, as the CPU twin adds them.
      let count = min(WARP_LANES, len - min(len, first));
      for (var j = 0u; j < count; j++) {
        let v = stagedValue[mine + j];
        let x = stagedColumn[mine + j] * params.batch + b0;
        for (var q = 0u; q < WARP_COLS; q++) {
          //!!VEC4 if (b0 + q * WARP_LANES < params.batch) { sum[q] += v * X[x + q * WARP_LANES]; }
          //!!VEC4 //!TRACE if (b0 + q * WARP_LANES < params.batch) { traceLoad(W_X + q + W_SITES * (stripBase * WARP_LANES + first + j), T_X, 4u, (x + q * WARP_LANES) * 4u); }
        }
      }
      workgroupBarrier();
    }
    if (split) {
      for (var q = 0u; q < WARP_COLS; q++) { partialSums[mine * WARP_COLS + q * WARP_LANES + lid.x] = sum[q]; }
      workgroupBarrier();
      // The fix-up: invocation c owns column c of the tile and adds the warps' partials in warp order.
      let c = lid.x + WARP_LANES * lid.y;
      var total = partialSums[c];
      for (var w = 1u; w < WARP_ROWS; w++) { total += partialSums[w * WARP_TILE_B + c]; }
      let b = tile * WARP_TILE_B + c;
      //!!VEC4 if (b < params.batch) { storeOne(r * params.batch + b, r, total); }
      //!!VEC4 //!TRACE if (b < params.batch) { traceStore(W_FIXUP + W_SITES * round, T_Y, 4u, (r * params.batch + b) * 4u); }
    } else if (slot < params.rows) {
      let y = r * params.batch + b0;
      for (var q = 0u; q < WARP_COLS; q++) {
        //!!VEC4 if (b0 + q * WARP_LANES < params.batch) { storeOne(y + q * WARP_LANES, r, sum[q]); }
        //!!VEC4 //!TRACE if (b0 + q * WARP_LANES < params.batch) { traceStore(W_STORE + q + W_SITES * round, T_Y, 4u, (y + q * WARP_LANES) * 4u); }
      }
    }
    // The next unit rewrites the row lengths and partials this one read.
    workgroupBarrier();
    //!TRACE round++;
    //!TRACE stripBase += strips;
  }
}
