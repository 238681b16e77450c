// Compacts a CSR to the entries whose keep flag is set, on the GPU: with
// positions = the exclusive scan of the flags (nnz + 1 entries), a kept entry
// i moves to positions[i] (stable, so rows stay sorted) carrying its column,
// value and optimizer state, and the new rowPtr[r] is positions[rowPtr[r]].

@compute @workgroup_size(THREADS)
fn scatterKept(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i >= params.nnz || flags[i] == 0u) { return; }
  let p = positions[i];
  outColIdx[p] = colIdx[i];
  outValues[p] = values[i];
  outState[p] = state[i];
}

@compute @workgroup_size(THREADS)
fn rowPointers(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = linearInvocationId(wid, groups, lid, THREADS);
  if (r <= params.rows) { outRowPtr[r] = positions[rowPtr[r]]; }
}
