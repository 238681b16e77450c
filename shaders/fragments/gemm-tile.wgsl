// The dense GEMM tile, shared by gemm.wgsl and rigl.wgsl (the pattern of
// tfjs's makeMatMulPackedSource): a 16 × 16 workgroup computes a TS × TS tile
// of C = op(A) · op(B), each thread a 4 × 4 block in registers; K advances TK
// at a time through workgroup memory, loaded so consecutive threads read
// consecutive addresses whatever the transposition (TRANS_A: A is stored
// K × M; TRANS_B: B is stored N × K). Every output sums its terms in order
// k = 0, 1, … and padding adds exact zeros after them, so the sums are the
// plain in-order ones the CPU twins compute.
// The includer declares TS (a layout const) and the hooks
//   fn mm_readA(row: u32, k: u32) -> f32           op(A)[row, k], row < M, k < K
//   fn mm_readB(k: u32, col: u32) -> f32           op(B)[k, col], k < K, col < N
//   fn mm_write(row: u32, col: u32, value: f32)    row < M, col < N
// and calls mm_tile from uniform control flow (it has barriers).
//
// TRACE (fragments/trace.wgsl; bench/model/wgsl-trace.ts): the access sites of
// bench/model/gemm.ts's emulationTile, so the model and this trace number the
// same access alike. The includer then also sets traceInvocation, declares
// the buffer ids T_A, T_B, T_C, T_AS, T_BS and
//   fn mm_indexA(row: u32, k: u32) -> u32          the element mm_readA reads
//   fn mm_indexB(k: u32, col: u32) -> u32          the element mm_readB reads
//   fn mm_indexC(row: u32, col: u32) -> u32        the element mm_write writes
// Workgroup-memory offsets restate the index arithmetic of the access beside them.
//!TRACE const MM_S_READ: u32 = 4u * (TS * TK) / TILE_THREADS;
//!TRACE const MM_S_STORE: u32 = MM_S_READ + 2u * TK * 4u;
//!TRACE const MM_SITES: u32 = MM_S_STORE + 16u;

override TRANS_A: bool = false;
override TRANS_B: bool = false;

const TK: u32 = 16u;
const TILE_THREADS: u32 = 256u;

var<workgroup> As: array<array<f32, TS>, TK>; // [k][m]
var<workgroup> Bs: array<array<f32, TS>, TK>; // [k][n]

fn mm_tile(row0: u32, col0: u32, lid: vec3u, M: u32, N: u32, K: u32) {
  let tid = lid.y * 16u + lid.x;
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < K; k0 += TK) {
    //!TRACE let stepBase = MM_SITES * (k0 / TK);
    for (var i = 0u; i < (TS * TK) / TILE_THREADS; i++) {
      let e = tid + i * TILE_THREADS;
      var mm: u32;
      var kk: u32;
      if (TRANS_A) { kk = e / TS; mm = e % TS; } else { mm = e / TK; kk = e % TK; }
      var a = 0.0;
      if (row0 + mm < M && k0 + kk < K) {
        a = mm_readA(row0 + mm, k0 + kk);
        //!TRACE traceLoad(stepBase + 4u * i, T_A, 4u, mm_indexA(row0 + mm, k0 + kk) * 4u);
      }
      As[kk][mm] = a;
      //!TRACE traceStore(stepBase + 4u * i + 1u, T_AS, 4u, (kk * TS + mm) * 4u);

      var nn: u32;
      if (TRANS_B) { nn = e / TK; kk = e % TK; } else { kk = e / TS; nn = e % TS; }
      var b = 0.0;
      if (col0 + nn < N && k0 + kk < K) {
        b = mm_readB(k0 + kk, col0 + nn);
        //!TRACE traceLoad(stepBase + 4u * i + 2u, T_B, 4u, mm_indexB(k0 + kk, col0 + nn) * 4u);
      }
      Bs[kk][nn] = b;
      //!TRACE traceStore(stepBase + 4u * i + 3u, T_BS, 4u, (kk * TS + nn) * 4u);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      //!TRACE for (var c = 0u; c < 4u; c++) {
      //!TRACE   traceLoad(stepBase + MM_S_READ + kk * 4u + c, T_AS, 4u, (kk * TS + lid.y * 4u + c) * 4u);
      //!TRACE   traceLoad(stepBase + MM_S_READ + TK * 4u + kk * 4u + c, T_BS, 4u, (kk * TS + lid.x * 4u + c) * 4u);
      //!TRACE }
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
      if (c < N) {
        mm_write(r, c, acc[i][j]);
        //!TRACE traceStore(MM_S_STORE + 4u * i + j, T_C, 4u, mm_indexC(r, c) * 4u);
      }
    }
  }
}
