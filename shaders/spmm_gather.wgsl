// Y = A · X for a sparse A whose rows gather rows of a dense, feature-major X
// (features × batch). One shader serves three formats, switched by flags:
//   CSR        A in CSR (forward Y = W·X, rows visited in length order)
//   CSR+PERM   A = Wᵀ through W's transpose index (values reached via perm)
//   NM         A in N:M (every row the same length; columns from packed indices)
// A workgroup owns ROWS_PER_WG rows × TILE_B batch columns; each thread
// accumulates 4 consecutive batch columns. The rows' (column, value) pairs are
// staged through workgroup memory CHUNK at a time, shared by the 16 threads of
// the row. Rows are visited longest first (CSR), so rows sharing a workgroup
// have similar lengths and few lanes idle (Sputnik's row swizzle).

const THREADS_B: u32 = 16u;
const TILE_B: u32 = 64u;
const ROWS_PER_WG: u32 = 4u;
const CHUNK: u32 = 16u;

struct Params {
  rows: u32,
  batch: u32,
  batchTiles: u32,
  slotsPerRow: u32,
  groupsPerRow: u32,
  n: u32,
  m: u32,
  bits: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<storage, read> values: array<f32>;
//!CSR @group(0) @binding(4) var<storage, read> rowPtr: array<u32>;
//!CSR @group(0) @binding(5) var<storage, read> colIdx: array<u32>;
//!CSR @group(0) @binding(6) var<storage, read> rowOrder: array<u32>;
//!PERM @group(0) @binding(7) var<storage, read> perm: array<u32>;
//!NM @group(0) @binding(4) var<storage, read> packed: array<u32>;

var<workgroup> shCol: array<array<u32, CHUNK>, ROWS_PER_WG>;
var<workgroup> shVal: array<array<f32, CHUNK>, ROWS_PER_WG>;
var<workgroup> shLen: array<u32, ROWS_PER_WG>;
var<workgroup> shMaxLen: u32;

fn rowAt(slot: u32) -> u32 {
  //!CSR return rowOrder[slot];
  //!NM return slot;
}

fn rowRange(r: u32) -> vec2u {
  //!CSR return vec2u(rowPtr[r], rowPtr[r + 1u]);
  //!NM return vec2u(r * params.slotsPerRow, (r + 1u) * params.slotsPerRow);
}

fn entryCol(k: u32) -> u32 {
  //!CSR return colIdx[k];
  //!NM let perWord = 32u / params.bits;
  //!NM let pos = (packed[k / perWord] >> ((k % perWord) * params.bits)) & (params.m - 1u);
  //!NM return ((k / params.n) % params.groupsPerRow) * params.m + pos;
}

fn entryValue(k: u32) -> f32 {
  //!PERM return values[perm[k]];
  //!!PERM return values[k];
}

fn loadX4(row: u32, b0: u32) -> vec4f {
  let base = row * params.batch + b0;
  if (b0 + 3u < params.batch) {
    return vec4f(X[base], X[base + 1u], X[base + 2u], X[base + 3u]);
  }
  var v = vec4f(0.0);
  for (var i = 0u; i < 4u; i++) {
    if (b0 + i < params.batch) { v[i] = X[base + i]; }
  }
  return v;
}

fn storeY4(row: u32, b0: u32, v: vec4f) {
  let base = row * params.batch + b0;
  for (var i = 0u; i < 4u; i++) {
    if (b0 + i < params.batch) { Y[base + i] = v[i]; }
  }
}

@compute @workgroup_size(THREADS_B, ROWS_PER_WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let g = linearWorkgroupId(wid, groups);
  let rowTiles = (params.rows + ROWS_PER_WG - 1u) / ROWS_PER_WG;
  if (g >= rowTiles * params.batchTiles) { return; }
  let rowTile = g / params.batchTiles;
  let bTile = g % params.batchTiles;
  let slot = rowTile * ROWS_PER_WG + lid.y;
  let valid = slot < params.rows;
  var r = 0u;
  var range = vec2u(0u, 0u);
  if (valid) {
    r = rowAt(slot);
    range = rowRange(r);
  }
  let len = range.y - range.x;
  if (lid.x == 0u) { shLen[lid.y] = len; }
  workgroupBarrier();
  if (lid.x == 0u && lid.y == 0u) {
    var mx = 0u;
    for (var i = 0u; i < ROWS_PER_WG; i++) { mx = max(mx, shLen[i]); }
    shMaxLen = mx;
  }
  let maxLen = workgroupUniformLoad(&shMaxLen);

  let b0 = bTile * TILE_B + lid.x * 4u;
  var acc = vec4f(0.0);
  for (var base = 0u; base < maxLen; base += CHUNK) {
    let k = range.x + base + lid.x;
    if (base + lid.x < len) {
      shCol[lid.y][lid.x] = entryCol(k);
      shVal[lid.y][lid.x] = entryValue(k);
    }
    workgroupBarrier();
    let count = min(CHUNK, max(len, base) - base);
    for (var j = 0u; j < count; j++) {
      acc += shVal[lid.y][j] * loadX4(shCol[lid.y][j], b0);
    }
    workgroupBarrier();
  }
  if (valid) { storeY4(r, b0, acc); }
}
