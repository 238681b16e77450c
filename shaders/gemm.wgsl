// Dense tiled GEMM: C (M × N) = alpha · op(A) · op(B), row-major, where
// op(A) is M × K (A stored K × M when TRANS_A) and op(B) is K × N (B stored
// N × K when TRANS_B): the tile of fragments/gemm-tile.wgsl, one TS × TS tile
// of C per workgroup, with plain loads and an alpha-scaled store as its hooks.

fn mm_readA(row: u32, k: u32) -> f32 {
  if (TRANS_A) { return A[k * params.M + row]; }
  return A[row * params.K + k];
}

fn mm_readB(k: u32, col: u32) -> f32 {
  if (TRANS_B) { return B[col * params.K + k]; }
  return B[k * params.N + col];
}

fn mm_write(row: u32, col: u32, value: f32) {
  C[row * params.N + col] = params.alpha * value;
}

@compute @workgroup_size(16, 16)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let g = linearWorkgroupId(wid, groups);
  if (g >= params.tilesM * params.tilesN) { return; }
  mm_tile((g / params.tilesN) * TS, (g % params.tilesN) * TS, lid, params.M, params.N, params.K);
}
