// The column of every N:M slot, decoded from the packed in-group positions:
// the column index a CSR would hold, so that the CSR transpose build
// (csr-transpose.wgsl) can index an N:M layer whose mask evolved on the GPU.

const THREADS: u32 = 256u;

struct Params {
  slots: u32,
  n: u32,
  m: u32,
  bits: u32,
  groupsPerRow: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> packed: array<u32>;
@group(0) @binding(2) var<storage, read_write> columns: array<u32>;

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k = linearInvocationId(wid, groups, lid, THREADS);
  if (k >= params.slots) { return; }
  let perWord = 32u / params.bits;
  let position = (packed[k / perWord] >> ((k % perWord) * params.bits)) & (params.m - 1u);
  columns[k] = ((k / params.n) % params.groupsPerRow) * params.m + position;
}
