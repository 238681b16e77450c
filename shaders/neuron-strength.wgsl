// The strength of every input feature of a linear layer's weights W (rows ×
// cols, out × in): strength[c] = Σ_r |W[r, c]| over the stored connections of
// column c (QuickSelection's neuron strength of input c). One invocation per
// column adds its terms in ascending row order, so the sum has one fixed
// order without atomics (WGSL has no float atomics) and the CPU twin's f32
// loop over the rows gives the same bits. The transpose index would make the
// CSR walk O(nnz), but a layer does not expose it; rows × log(row length)
// binary-search steps per column is what one ranking per epoch costs.

// CSR: columns ascend within a row, so each row is one binary search.
@compute @workgroup_size(THREADS)
fn csr(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = linearInvocationId(wid, groups, lid, THREADS);
  if (c >= params.cols) { return; }
  var sum = 0.0;
  var start = rowPtr[0];
  for (var r = 0u; r < params.rows; r++) {
    let end = rowPtr[r + 1u];
    var lo = start;
    var hi = end;
    while (lo < hi) {
      let mid = lo + (hi - lo) / 2u;
      if (colIdx[mid] < c) { lo = mid + 1u; } else { hi = mid; }
    }
    if (lo < end && colIdx[lo] == c) { sum += abs(values[lo]); }
    start = end;
  }
  strength[c] = sum;
}

// N:M: column c can only sit in group c / m of a row, in one of its n slots
// (positions strictly increase within a group; padding slots hold 0).
@compute @workgroup_size(THREADS)
fn nm(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = linearInvocationId(wid, groups, lid, THREADS);
  if (c >= params.cols) { return; }
  let position = c % params.m;
  let perWord = 32u / params.bits;
  var sum = 0.0;
  var first = (c / params.m) * params.n;
  for (var r = 0u; r < params.rows; r++) {
    for (var t = 0u; t < params.n; t++) {
      let k = first + t;
      let p = (packed[k / perWord] >> ((k % perWord) * params.bits)) & (params.m - 1u);
      if (p == position) { sum += abs(values[k]); }
    }
    first += params.slotsPerRow;
  }
  strength[c] = sum;
}

// Dense, row-major: the invocations of a workgroup read adjacent columns of a row.
@compute @workgroup_size(THREADS)
fn dense(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = linearInvocationId(wid, groups, lid, THREADS);
  if (c >= params.cols) { return; }
  var sum = 0.0;
  for (var r = 0u; r < params.rows; r++) { sum += abs(values[r * params.cols + c]); }
  strength[c] = sum;
}
