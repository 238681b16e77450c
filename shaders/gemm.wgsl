// Dense tiled GEMM: C (M × N) = alpha · op(A) · op(B), row-major, where
// op(A) is M × K (A stored K × M when TRANS_A) and op(B) is K × N (B stored
// N × K when TRANS_B). A 16 × 16 workgroup computes a 64 × 64 tile of C, each
// thread a 4 × 4 block in registers; K advances TK at a time through
// workgroup memory, loaded so consecutive threads read consecutive addresses
// whatever the transposition.

override TRANS_A: bool = false;
override TRANS_B: bool = false;

const TS: u32 = 64u;
const TK: u32 = 16u;
const THREADS: u32 = 256u;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  tilesN: u32,
  tilesM: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

var<workgroup> As: array<array<f32, TS>, TK>; // [k][m]
var<workgroup> Bs: array<array<f32, TS>, TK>; // [k][n]

@compute @workgroup_size(16, 16)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let g = linearWorkgroupId(wid, groups);
  if (g >= params.tilesM * params.tilesN) { return; }
  let row0 = (g / params.tilesN) * TS;
  let col0 = (g % params.tilesN) * TS;
  let tid = lid.y * 16u + lid.x;
  let M = params.M;
  let N = params.N;
  let K = params.K;

  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < K; k0 += TK) {
    for (var i = 0u; i < (TS * TK) / THREADS; i++) {
      let e = tid + i * THREADS;
      var mm: u32;
      var kk: u32;
      if (TRANS_A) { kk = e / TS; mm = e % TS; } else { mm = e / TK; kk = e % TK; }
      var a = 0.0;
      if (row0 + mm < M && k0 + kk < K) {
        if (TRANS_A) { a = A[(k0 + kk) * M + row0 + mm]; } else { a = A[(row0 + mm) * K + k0 + kk]; }
      }
      As[kk][mm] = a;

      var nn: u32;
      if (TRANS_B) { nn = e / TK; kk = e % TK; } else { kk = e / TS; nn = e % TS; }
      var b = 0.0;
      if (col0 + nn < N && k0 + kk < K) {
        if (TRANS_B) { b = B[(col0 + nn) * K + k0 + kk]; } else { b = B[(k0 + kk) * N + col0 + nn]; }
      }
      Bs[kk][nn] = b;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let a = vec4f(As[kk][lid.y * 4u], As[kk][lid.y * 4u + 1u], As[kk][lid.y * 4u + 2u], As[kk][lid.y * 4u + 3u]);
      let b = vec4f(Bs[kk][lid.x * 4u], Bs[kk][lid.x * 4u + 1u], Bs[kk][lid.x * 4u + 2u], Bs[kk][lid.x * 4u + 3u]);
      acc[0] += a.x * b;
      acc[1] += a.y * b;
      acc[2] += a.z * b;
      acc[3] += a.w * b;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y * 4u + i;
    if (r >= M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x * 4u + j;
      if (c < N) { C[r * N + c] = params.alpha * acc[i][j]; }
    }
  }
}
