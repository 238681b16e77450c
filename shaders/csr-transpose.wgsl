// Builds a CSR's derived indices on the GPU, so a layer evolved on the GPU is
// ready for its backward pass without host work:
//   rowsOfEntries   rowOf[k] = the row of entry k (the COO row array SDDMM uses)
// and the transpose index (colPtr, rowIdx, perm) exactly as
// CSRMatrix.transposeIndex() builds it on the host: entries of a column in
// row order. Two ways, chosen by the host from the mean column length:
// - short columns: countColumns (atomic counts), a scan, scatterColumns (slot
//   order within a column arbitrary), then sortColumns (insertion sort per
//   column, cheap when columns hold a few entries);
// - long columns: rows cut into `blocks` bands; countColumnBlocks counts per
//   (column, band), one scan over that column-major table gives every
//   (column, band) its first slot, columnPointers reads colPtr off it, and
//   scatterColumnBlocks walks each band's rows in order, one thread per band,
//   so entries land sorted by row with no sort at all (a stable counting sort;
//   the insertion sort's cost grows with the square of the column length).
// The 'gpu' kernel profile keeps the band-wise counting sort but drops its
// serial walk (≈ 4,200 dependent steps per thread at 1 M connections, on 16
// threads per workgroup): entriesRows finds each entry's row by a binary
// search of rowPtr (a thread per entry, not per row), and scatterEntries
// gives each entry its slot on its own — the (column, band) start plus the
// number of earlier rows of its band that hold its column, each found by a
// binary search of that row. So a thread runs about
// (rowsPerBlock − 1) · log2(row length) steps (≈ 135 at 4096² and 6 %)
// instead of a band's entries, and the result is the same stable order.

@compute @workgroup_size(THREADS)
fn rowsOfEntries(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = linearInvocationId(wid, groups, lid, THREADS);
  if (r >= params.rows) { return; }
  for (var k = rowPtr[r]; k < rowPtr[r + 1u]; k++) { rowOf[k] = r; }
}

@compute @workgroup_size(THREADS)
fn countColumns(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k = linearInvocationId(wid, groups, lid, THREADS);
  if (k < params.nnz) { atomicAdd(&colCount[colIdx[k]], 1u); }
}

@compute @workgroup_size(THREADS)
fn scatterColumns(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k = linearInvocationId(wid, groups, lid, THREADS);
  if (k >= params.nnz) { return; }
  let c = colIdx[k];
  // colCount was zeroed after the scan and now hands out slots within the column.
  let slot = colPtr[c] + atomicAdd(&colCount[c], 1u);
  rowIdx[slot] = rowOf[k];
  perm[slot] = k;
}

@compute @workgroup_size(THREADS)
fn sortColumns(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = linearInvocationId(wid, groups, lid, THREADS);
  if (c >= params.cols) { return; }
  let start = colPtr[c];
  let end = colPtr[c + 1u];
  // Rows are unique within a column (no duplicate entries), and perm grows with
  // the row, so sorting by perm sorts by row.
  for (var i = start + 1u; i < end; i++) {
    let p = perm[i];
    let r = rowIdx[i];
    var j = i;
    while (j > start && perm[j - 1u] > p) {
      perm[j] = perm[j - 1u];
      rowIdx[j] = rowIdx[j - 1u];
      j--;
    }
    perm[j] = p;
    rowIdx[j] = r;
  }
}

@compute @workgroup_size(THREADS)
fn countColumnBlocks(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k = linearInvocationId(wid, groups, lid, THREADS);
  if (k < params.nnz) { atomicAdd(&colCount[colIdx[k] * params.blocks + rowOf[k] / params.rowsPerBlock], 1u); }
}

// colCount now holds the scanned (column, band) table, cols · blocks + 1 entries.
@compute @workgroup_size(THREADS)
fn columnPointers(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = linearInvocationId(wid, groups, lid, THREADS);
  if (c <= params.cols) { colPtrOut[c] = atomicLoad(&colCount[c * params.blocks]); }
}

// Few threads (BAND_THREADS), each walking many entries: small workgroups, so
// that implementations that run one workgroup per core still spread them.
@compute @workgroup_size(BAND_THREADS)
fn scatterColumnBlocks(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let band = linearInvocationId(wid, groups, lid, BAND_THREADS);
  if (band >= params.blocks) { return; }
  let first = band * params.rowsPerBlock;
  let last = min(params.rows, first + params.rowsPerBlock);
  for (var r = first; r < last; r++) {
    for (var k = rowPtr[r]; k < rowPtr[r + 1u]; k++) {
      // Only this thread advances the cursors of its band: the atomic never contends.
      let slot = atomicAdd(&colCount[colIdx[k] * params.blocks + band], 1u);
      rowIdx[slot] = r;
      perm[slot] = k;
    }
  }
}

@compute @workgroup_size(THREADS)
fn entriesRows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k = linearInvocationId(wid, groups, lid, THREADS);
  if (k < params.nnz) { rowOf[k] = rowOfEntry(k); }
}

// colCount holds the scanned (column, band) table; nothing advances it here.
@compute @workgroup_size(THREADS)
fn scatterEntries(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k = linearInvocationId(wid, groups, lid, THREADS);
  if (k >= params.nnz) { return; }
  let r = rowOf[k];
  let c = colIdx[k];
  let band = r / params.rowsPerBlock;
  // A row holds a column at most once: the earlier entries of (c, band) are its earlier rows that hold c.
  var slot = atomicLoad(&colCount[c * params.blocks + band]);
  for (var q = band * params.rowsPerBlock; q < r; q++) {
    if (rowHolds(q, c)) { slot++; }
  }
  rowIdx[slot] = r;
  perm[slot] = k;
}
