// Compacts a CSR to the entries whose keep flag is set, on the GPU: with
// positions = the exclusive scan of the flags (nnz + 1 entries), a kept entry
// i moves to positions[i] (stable, so rows stay sorted) carrying its column,
// value and optimizer state, and the new rowPtr[r] is positions[rowPtr[r]].

const THREADS: u32 = 256u;

struct Params {
  nnz: u32,
  rows: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> flags: array<u32>;
@group(0) @binding(2) var<storage, read> positions: array<u32>;
@group(0) @binding(3) var<storage, read> colIdx: array<u32>;
@group(0) @binding(4) var<storage, read> values: array<f32>;
@group(0) @binding(5) var<storage, read> state: array<f32>;
@group(0) @binding(6) var<storage, read_write> outColIdx: array<u32>;
@group(0) @binding(7) var<storage, read_write> outValues: array<f32>;
@group(0) @binding(8) var<storage, read_write> outState: array<f32>;
@group(0) @binding(9) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(10) var<storage, read_write> outRowPtr: array<u32>;

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
