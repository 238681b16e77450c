// dX = Wᵀ · dY for an N:M matrix W (rows × cols), atomic-free without a
// transpose index: a workgroup owns one group of M columns × 64 batch
// columns and walks every row's N slots of that group, so each stored weight
// is read once per batch tile and every workgroup does the same work.
//   VEC4  batch % 4 == 0: a thread owns 4 batch columns (vec4 loads of dY,
//         vec4 accumulators), so each decoded slot feeds 4 columns; measured
//         several times faster on SwiftShader than one column per thread.

const TILE_B: u32 = 64u;
const MAX_M: u32 = 16u;
//!VEC4 const THREADS: u32 = 16u; // TILE_B / 4
//!!VEC4 const THREADS: u32 = 64u; // TILE_B

struct Params {
  rows: u32,
  batch: u32,
  batchTiles: u32,
  groupsPerRow: u32,
  n: u32,
  m: u32,
  bits: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
//!VEC4 @group(0) @binding(1) var<storage, read> dY: array<vec4f>;
//!VEC4 @group(0) @binding(2) var<storage, read_write> dX: array<vec4f>;
//!!VEC4 @group(0) @binding(1) var<storage, read> dY: array<f32>;
//!!VEC4 @group(0) @binding(2) var<storage, read_write> dX: array<f32>;
@group(0) @binding(3) var<storage, read> values: array<f32>;
@group(0) @binding(4) var<storage, read> packed: array<u32>;

@compute @workgroup_size(THREADS)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let g = linearWorkgroupId(wid, groups);
  if (g >= params.groupsPerRow * params.batchTiles) { return; }
  let group = g / params.batchTiles;
  //!VEC4 let b = (g % params.batchTiles) * TILE_B + lid.x * 4u;
  //!!VEC4 let b = (g % params.batchTiles) * TILE_B + lid.x;
  if (b >= params.batch) { return; }
  // In quads (VEC4) or floats: the row stride of dY and dX, and this thread's column.
  //!VEC4 let stride = params.batch / 4u;
  //!VEC4 let column = b / 4u;
  //!VEC4 var acc: array<vec4f, MAX_M>;
  //!!VEC4 let stride = params.batch;
  //!!VEC4 let column = b;
  //!!VEC4 var acc: array<f32, MAX_M>;
  let perWord = 32u / params.bits;
  for (var r = 0u; r < params.rows; r++) {
    let dy = dY[r * stride + column];
    let first = (r * params.groupsPerRow + group) * params.n;
    for (var t = 0u; t < params.n; t++) {
      let k = first + t;
      let pos = (packed[k / perWord] >> ((k % perWord) * params.bits)) & (params.m - 1u);
      acc[pos] += values[k] * dy;
    }
  }
  for (var p = 0u; p < params.m; p++) {
    dX[(group * params.m + p) * stride + column] = acc[p];
  }
}
