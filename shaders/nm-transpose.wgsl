// The column of every N:M slot, decoded from the packed in-group positions:
// the column index a CSR would hold, so that the CSR transpose build
// (csr-transpose.wgsl) can index an N:M layer whose mask evolved on the GPU.

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k = linearInvocationId(wid, groups, lid, THREADS);
  if (k >= params.slots) { return; }
  let perWord = 32u / params.bits;
  let position = (packed[k / perWord] >> ((k % perWord) * params.bits)) & (params.m - 1u);
  columns[k] = ((k / params.n) % params.groupsPerRow) * params.m + position;
}
