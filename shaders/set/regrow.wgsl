// SET regrowth on the GPU, one round (see kernels/set/regrow.ts for the rule):
//   sizeRound       the round's size from the layer it starts from (no host
//                   read-back): remaining = targetNnz − its nnz, the candidate
//                   count (roundSize), the per-candidate passes' indirect
//                   workgroups, the round counter
//   generate        candidate j → (row, col) from the counter-based PRNG; count per
//                   cell (row, column band)
//   scatterBuckets  bucket the candidates by cell (counting sort; order within a cell
//                   is arbitrary), so a row's bucket is already ordered band by band
//   rowBuckets      each row's bucket start, read off the cell table
//   validate        per row: sort its bucket by (col, j) (few inversions remain: only
//                   within a cell, which holds about one candidate), mark valid =
//                   absent and first
//   countAccepted   per row: accepted = valid and rank < remaining; new row length
//   mergeRows       per row: merge the layer's sorted columns with the accepted ones
//   gatherValues    values and optimizer state for the merged layout (new: uniform(-limit, limit), 0)
// Every per-row step is a loop of one thread over one row, which keeps the
// result independent of scheduling (atomics only count or reserve slots).
//
// The 'gpu' kernel profile replaces the per-row loops (one thread sorting,
// validating and merging a whole row: ~1,000 dependent steps at 4096² and
// 6 %, ~10,000 for a dense-ish 1024² layer) by a thread per candidate or per
// entry, none walking a row; what keeps it exact is that a row's bucket is
// already grouped by cell (row, column band) and a cell holds about one
// candidate:
//   validateCandidate  valid = absent (binary search of the row) and no
//                      candidate of smaller j in its cell drew its column
//   acceptCandidate    accepted = valid and rank < remaining: flag it, count
//                      it per cell (the counts are scanned into acceptedPtr)
//   newRowPointers     newRowPtr[r] = rowPtr[r] + accepted before row r
//   scatterKeptEntries a kept entry's merged slot: its rank in its row plus
//                      the accepted candidates of its row left of its column
//   scatterNewEntries  an accepted candidate's: kept entries of its row left
//                      of its column (binary search) plus accepted ones
// then gatherValues as above. Same layer as the per-row path.

fn cellOf(row: u32, col: u32) -> u32 {
  return row * params.bands + col / params.colsPerBand;
}

// The round's candidates, once the cell counts are scanned: cellPtr's last word.
fn candidateTotal() -> u32 {
  return cellPtr[params.rows * params.bands];
}

// candidatesForRound (kernels/set/regrow.ts) in integers, exactly:
// min(MAX_CANDIDATES, ceil(5 · remaining · N / (4 · (N − present))) + 16)
// with N = rows · cols (< 2⁴²), 0 when nothing remains. Past the cap the
// quotient is not needed; below it, it has fewer bits than MAX_CANDIDATES.
fn candidatesFor(remaining: u32, present: u32) -> u32 {
  if (remaining == 0u) { return 0u; }
  let n = mul32(params.rows, params.cols);
  let den = shiftLeftWide(subWide(Wide(n.x, n.y, 0u, 0u, 0u), wideOf(present)), 2u);
  let times = mulWide(n.y, n.x, remaining);
  let num = addWide(shiftLeftWide(times, 2u), times);
  if (lessWide(mulWide(den[1], den[0], MAX_CANDIDATES - 17u), num)) { return MAX_CANDIDATES; }
  var rest = num;
  var q = 0u;
  for (var b = 32u - countLeadingZeros(MAX_CANDIDATES - 1u); b > 0u; b--) {
    let part = shiftLeftWide(den, b - 1u);
    if (!lessWide(rest, part)) {
      rest = subWide(rest, part);
      q |= 1u << (b - 1u);
    }
  }
  return q + select(16u, 17u, bitLengthWide(rest) != 0u);
}

// One thread: the layer this round starts from has rowPtr[rows] entries.
// The per-candidate passes run ceil(count / THREADS) ≤ MAX_CANDIDATES / THREADS
// workgroups, within every device's 65,535 per dimension (not folded).
@compute @workgroup_size(1)
fn sizeRound() {
  let present = rowPtr[params.rows];
  let remaining = params.targetNnz - present;
  let count = candidatesFor(remaining, present);
  roundSize[0] = count;
  roundSize[1] = remaining;
  dispatchArgs[0] = (count + THREADS - 1u) / THREADS;
  dispatchArgs[1] = 1u;
  dispatchArgs[2] = 1u;
  if (remaining > 0u) { counters[1] = params.round + 1u; }
}

@compute @workgroup_size(THREADS)
fn generate(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j = linearInvocationId(wid, groups, lid, THREADS);
  if (j >= roundSize[0]) { return; }
  let row = mulhi(randomU32(params.seed, params.stream, j), params.rows);
  let col = mulhi(randomU32(params.seed, params.stream + 1u, j), params.cols);
  candRow[j] = row;
  candCol[j] = col;
  atomicAdd(&bucketCount[cellOf(row, col)], 1u);
}

@compute @workgroup_size(THREADS)
fn scatterBuckets(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j = linearInvocationId(wid, groups, lid, THREADS);
  if (j >= candidateTotal()) { return; }
  let col = candCol[j];
  let cell = cellOf(candRow[j], col);
  // bucketCount was zeroed after the scan and now reserves slots within the cell.
  let slot = cellPtr[cell] + atomicAdd(&bucketCount[cell], 1u);
  bucket[slot] = vec2u(j, col);
}

@compute @workgroup_size(THREADS)
fn rowBuckets(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = linearInvocationId(wid, groups, lid, THREADS);
  if (r <= params.rows) { rowBucketPtr[r] = cellPtr[r * params.bands]; }
}

fn before(a: vec2u, b: vec2u) -> bool {
  return a.y < b.y || (a.y == b.y && a.x < b.x);
}

@compute @workgroup_size(THREADS)
fn validate(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = linearInvocationId(wid, groups, lid, THREADS);
  if (r >= params.rows) { return; }
  let start = bucketPtr[r];
  let end = bucketPtr[r + 1u];
  // Insertion sort by (col, j): linear but for the inversions within a cell.
  for (var i = start + 1u; i < end; i++) {
    let e = bucket[i];
    var k = i;
    while (k > start && before(e, bucket[k - 1u])) {
      bucket[k] = bucket[k - 1u];
      k--;
    }
    bucket[k] = e;
  }
  var previous = 0xffffffffu;
  for (var i = start; i < end; i++) {
    let e = bucket[i];
    // Sorted by (col, j): the first of equal columns is the earliest candidate.
    valid[e.x] = select(0u, 1u, e.y != previous && !rowHolds(r, e.y));
    previous = e.y;
  }
}

@compute @workgroup_size(THREADS)
fn countAccepted(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = linearInvocationId(wid, groups, lid, THREADS);
  if (r >= params.rows) { return; }
  var accepted = 0u;
  for (var i = bucketPtr[r]; i < bucketPtr[r + 1u]; i++) {
    let j = bucket[i].x;
    if (valid[j] != 0u && rank[j] < roundSize[1]) {
      bucket[i].x = j | NEW_ENTRY;
      accepted++;
    }
  }
  newCount[r] = rowPtr[r + 1u] - rowPtr[r] + accepted;
}

// The row merge's hooks (fragments/row-merge.wgsl): a row's new entries are
// its bucket's accepted candidates, whose source word is NEW_ENTRY | j.
fn newEntries(r: u32) -> vec2u {
  return vec2u(bucketPtr[r], bucketPtr[r + 1u]);
}

fn nextNew(i: u32, end: u32) -> u32 {
  var next = i;
  while (next < end && (bucket[next].x & NEW_ENTRY) == 0u) { next++; }
  return next;
}

fn newColumn(i: u32) -> u32 {
  return bucket[i].y;
}

fn newSource(i: u32) -> u32 {
  return bucket[i].x;
}

fn newValue(s: u32) -> f32 {
  let u = randomUnit(params.seed, params.stream + 2u, s & ~NEW_ENTRY);
  return params.limit * (2.0 * u - 1.0);
}

fn mergedEntries() -> u32 {
  // The merged nnz is newRowPtr[rows], at most the layer's capacity.
  return min(params.targetNnz, newRowPtr[params.rows]);
}

// Slots of cell `cell` in the bucket.
fn cellSlots(cell: u32) -> vec2u {
  return vec2u(cellPtr[cell], cellPtr[cell + 1u]);
}

// Accepted candidates of row r with a column below c: whole cells to the left, then its own cell's.
fn acceptedBefore(r: u32, c: u32) -> u32 {
  let cell = cellOf(r, c);
  var n = acceptedPtr[cell] - acceptedPtr[r * params.bands];
  let slots = cellSlots(cell);
  for (var i = slots.x; i < slots.y; i++) {
    let e = bucket[i];
    if ((e.x & NEW_ENTRY) != 0u && e.y < c) { n++; }
  }
  return n;
}

@compute @workgroup_size(THREADS)
fn validateCandidate(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i >= candidateTotal()) { return; }
  let e = bucket[i];
  let r = candRow[e.x];
  // Equal columns share a cell: the first draw of the column is the one no cellmate precedes.
  var first = true;
  let slots = cellSlots(cellOf(r, e.y));
  for (var q = slots.x; q < slots.y; q++) {
    let o = bucket[q];
    if (o.y == e.y && o.x < e.x) { first = false; }
  }
  valid[e.x] = select(0u, 1u, first && !rowHolds(r, e.y));
}

// bucketCount was zeroed again: it counts the accepted candidates per cell.
@compute @workgroup_size(THREADS)
fn acceptCandidate(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i >= roundSize[0]) { return; }
  let e = bucket[i];
  if (valid[e.x] != 0u && rank[e.x] < roundSize[1]) {
    bucket[i].x = e.x | NEW_ENTRY;
    atomicAdd(&bucketCount[cellOf(candRow[e.x], e.y)], 1u);
  }
}

// acceptedPtr: the accepted counts per cell, scanned (rows · bands + 1 words, cells of a row contiguous).
@compute @workgroup_size(THREADS)
fn newRowPointers(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = linearInvocationId(wid, groups, lid, THREADS);
  if (r <= params.rows) { newRowPtr[r] = rowPtr[r] + acceptedPtr[r * params.bands]; }
}

// Where row r starts in the merged layer: what newRowPointers writes, computed
// again here so the scatters need not bind newRowPtr (binding it made
// scatterNewEntries use 9 storage buffers, over WebGPU's default of 8 per stage).
fn newRowStart(r: u32) -> u32 {
  return rowPtr[r] + acceptedPtr[r * params.bands];
}

// The kept nnz is rowPtr[rows] (below the capacity targetNnz).
@compute @workgroup_size(THREADS)
fn scatterKeptEntries(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k = linearInvocationId(wid, groups, lid, THREADS);
  if (k >= min(params.targetNnz, rowPtr[params.rows])) { return; }
  let r = rowOfEntry(k);
  let c = colIdx[k];
  let out = newRowStart(r) + (k - rowPtr[r]) + acceptedBefore(r, c);
  newColIdx[out] = c;
  source[out] = k;
}

@compute @workgroup_size(THREADS)
fn scatterNewEntries(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i >= candidateTotal()) { return; }
  let e = bucket[i];
  if ((e.x & NEW_ENTRY) == 0u) { return; }
  let r = candRow[e.x & ~NEW_ENTRY];
  let out = newRowStart(r) + columnsBelow(r, e.y) + acceptedBefore(r, e.y);
  newColIdx[out] = e.y;
  source[out] = e.x;
}
