// A CSR's rows merged with new entries, shared by SET regrowth
// (set/regrow.wgsl) and RigL growth (rigl.wgsl). Bindings (rowMergeBindings
// in kernels/programs.ts): the kept layer rowPtr, colIdx, values, state; the
// merged layer newRowPtr (already scanned), newColIdx, newValues, newState;
// and source, each merged entry's index in the kept layer or NEW_ENTRY | a
// word of the includer's. Entry points mergeRows (a thread per row, rows
// params.rows) and gatherValues (a thread per merged entry), THREADS wide.
// The includer defines the hooks
//   fn newEntries(r: u32) -> vec2u          [first, end) of row r's new candidates, column-sorted
//   fn nextNew(i: u32, end: u32) -> u32     the first candidate at or after i that is taken (end if none)
//   fn newColumn(i: u32) -> u32
//   fn newSource(i: u32) -> u32             its source word (NEW_ENTRY set)
//   fn newValue(s: u32) -> f32              the weight of a new entry of source word s
//   fn mergedEntries() -> u32               how many merged entries gatherValues writes

const NEW_ENTRY: u32 = 0x80000000u;

// Row r of the merged layer: kept and new columns in column order.
@compute @workgroup_size(THREADS)
fn mergeRows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = linearInvocationId(wid, groups, lid, THREADS);
  if (r >= params.rows) { return; }
  // Kept entries k in [rowPtr[r], end), new candidates i in newEntries(r).
  let end = rowPtr[r + 1u];
  let range = newEntries(r);
  var k = rowPtr[r];
  var i = range.x;
  var out = newRowPtr[r];
  loop {
    i = nextNew(i, range.y);
    let haveNew = i < range.y;
    if (!haveNew && k >= end) { break; }
    if (haveNew && (k >= end || newColumn(i) < colIdx[k])) {
      newColIdx[out] = newColumn(i);
      source[out] = newSource(i);
      i++;
    } else {
      newColIdx[out] = colIdx[k];
      source[out] = k;
      k++;
    }
    out++;
  }
}

// Entry e of the merged layer: a kept entry brings its value and optimizer state, a new one starts at newValue and 0.
@compute @workgroup_size(THREADS)
fn gatherValues(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let e = linearInvocationId(wid, groups, lid, THREADS);
  if (e >= mergedEntries()) { return; }
  let s = source[e];
  if ((s & NEW_ENTRY) != 0u) {
    newValues[e] = newValue(s);
    newState[e] = 0.0;
  } else {
    newValues[e] = values[s];
    newState[e] = state[s];
  }
}
