// Dense tiled GEMM: C (M × N) = alpha · op(A) · op(B), row-major, where
// op(A) is M × K (A stored K × M when TRANS_A) and op(B) is K × N (B stored
// N × K when TRANS_B): the tile of fragments/gemm-tile.wgsl, one TS × TS tile
// of C per workgroup, with plain loads and an alpha-scaled store as its hooks.
//
// TRACE (fragments/trace.wgsl; bench/model/wgsl-trace.ts): every load and
// store of A, B and C, and of the workgroup tiles, with the buffer ids below
// (GEMM_TRACE_BUFFERS there) and the access sites of bench/model/gemm.ts
// (`main`: the MM_ consts of fragments/gemm-tile.wgsl; tileGpu: GS_ below).
//!TRACE const T_A: u32 = 0u;
//!TRACE const T_B: u32 = 1u;
//!TRACE const T_C: u32 = 2u;
//!TRACE const T_PARTIALS: u32 = 3u;
//!TRACE const T_AS: u32 = 4u;
//!TRACE const T_BS: u32 = 5u;
//!TRACE const T_TILE_A: u32 = 6u;
//!TRACE const T_TILE_B: u32 = 7u;
//!TRACE const GS_B: u32 = 2u * GPU_TM * GPU_TK / 256u;
//!TRACE const GS_READ: u32 = GS_B + 2u * GPU_TN * GPU_TK / 256u;
//!TRACE const GS_STORE: u32 = GS_READ + GPU_TK * (1u + GPU_TM / 64u);
//!TRACE const GS_SITES: u32 = GS_STORE + GPU_TM / 16u * 4u;

// The elements the hooks read and write, named once so the trace records the same ones.
fn mm_indexA(row: u32, k: u32) -> u32 {
  if (TRANS_A) { return k * params.M + row; }
  return row * params.K + k;
}

fn mm_indexB(k: u32, col: u32) -> u32 {
  if (TRANS_B) { return col * params.K + k; }
  return k * params.N + col;
}

fn mm_indexC(row: u32, col: u32) -> u32 {
  return row * params.N + col;
}

fn mm_readA(row: u32, k: u32) -> f32 {
  return A[mm_indexA(row, k)];
}

fn mm_readB(k: u32, col: u32) -> f32 {
  return B[mm_indexB(k, col)];
}

fn mm_write(row: u32, col: u32, value: f32) {
  C[mm_indexC(row, col)] = params.alpha * value;
}

@compute @workgroup_size(16, 16)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let g = linearWorkgroupId(wid, groups);
  if (g >= params.tilesM * params.tilesN) { return; }
  //!TRACE traceInvocation = g * 256u + lid.y * 16u + lid.x;
  mm_tile((g / params.tilesN) * TS, (g % params.tilesN) * TS, lid, params.M, params.N, params.K);
}

// ---------------------------------------------------------------------------
// The 'gpu' kernel profile (src/gpu/kernel-profile.ts): tileGpu, then
// reduceSplits when K is split. `main` above stays what SwiftShader runs.
//
// A 16 × 16 workgroup computes a GPU_TM × GPU_TN tile of C over the k range
// of its split; thread (tx, ty) owns rows ty + 16i (i < GPU_TM / 16) and
// columns tx + 16j (j < 4), so a warp's 32 lanes store 2 rows × 16
// consecutive columns (coalesced), and K advances GPU_TK at a time through
// workgroup memory. Why the layouts below:
// - Reads of workgroup memory are vec4: tile row mm sits in vec4 slot
//   tileSlot(mm), component (mm / 16) % 4, so thread ty's 8 rows are 2 slots
//   and its 4 columns 1: 3 loads per 32 multiply-adds (`main`: 8 per 16).
//   Within a quarter-warp (the 8 lanes a 16-byte load serves at once) the B
//   slots are 8 consecutive vec4s and the A slot one broadcast: no conflict.
// - Rows of the tiles are padded by one vec4 (GPU_TM + 4 words ≡ 4 mod 32
//   banks of 4 bytes), and stageIndex spreads a warp's 32 staging stores over
//   the 32 banks whichever dimension of the operand is contiguous in memory,
//   while its global loads stay 4 runs of 8 consecutive floats (32-byte
//   sectors): `main`'s transposed stores put 16 lanes on one bank.
// - With split-K (kernels/gemm.ts, gemmGrid: fewer tiles than two per
//   multiprocessor of a large GPU), workgroup g works on split g / tiles and
//   writes its partial tile to C = the partials buffer (splits × M × N); the
//   reduceSplits pass adds the splits in order s = 0, 1, … and scales by
//   alpha. Without it, C is the product and alpha is applied here.
// Each split sums its terms in order k = kBegin, kBegin + 1, …; padding adds
// exact zeros after them.

var<workgroup> tileA: array<array<vec4f, GPU_TM / 4u + 1u>, GPU_TK>; // [k][slot]
var<workgroup> tileB: array<array<vec4f, GPU_TN / 4u + 1u>, GPU_TK>; // [k][slot]

// The vec4 slot of tile row mm: rows mm, mm + 16, mm + 32, mm + 48 share one.
fn tileSlot(mm: u32) -> u32 {
  return mm % 16u + 16u * (mm / 64u);
}

// Staging element e (0 ≤ e < rows · GPU_TK) of a tile of `rows` (a multiple
// of 64) → (row, k). kContiguous (the operand's memory runs along k): a warp
// takes 8 consecutive k of rows c, c + 16, c + 32, c + 48; otherwise (runs
// along the rows): one k of rows lo + 16·hi (+ 8), lo < 8, hi < 4. Either
// way the 32 lanes' words (k · (rows + 4) + 4 · tileSlot + component) fall
// on 32 distinct banks.
fn stageIndex(e: u32, rows: u32, kContiguous: bool) -> vec2u {
  let blocks = rows / 64u;
  let rest = e / 32u;
  if (kContiguous) {
    let r2 = rest / 16u;
    return vec2u(rest % 16u + 16u * ((e / 8u) % 4u) + 64u * (r2 % blocks), e % 8u + 8u * (r2 / blocks));
  }
  let r2 = rest / 2u;
  return vec2u(e % 8u + 16u * ((e / 8u) % 4u) + 8u * (rest % 2u) + 64u * (r2 % blocks), r2 / blocks);
}

@compute @workgroup_size(16, 16)
fn tileGpu(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let tiles = params.tilesM * params.tilesN;
  let g = linearWorkgroupId(wid, groups);
  if (g >= tiles * params.splits) { return; }
  let split = g / tiles;
  let row0 = ((g % tiles) / params.tilesN) * GPU_TM;
  let col0 = (g % params.tilesN) * GPU_TN;
  let kBegin = split * params.kChunk;
  let kEnd = min(params.K, kBegin + params.kChunk);
  let tid = lid.y * 16u + lid.x;
  //!TRACE traceInvocation = g * 256u + tid;
  var acc: array<vec4f, GPU_TM / 16u>;
  for (var k0 = kBegin; k0 < kEnd; k0 += GPU_TK) {
    //!TRACE let stepBase = GS_SITES * ((k0 - kBegin) / GPU_TK);
    for (var i = 0u; i < GPU_TM * GPU_TK / 256u; i++) {
      let at = stageIndex(tid + i * 256u, GPU_TM, !TRANS_A);
      var a = 0.0;
      if (row0 + at.x < params.M && k0 + at.y < kEnd) {
        a = mm_readA(row0 + at.x, k0 + at.y);
        //!TRACE traceLoad(stepBase + 2u * i, T_A, 4u, mm_indexA(row0 + at.x, k0 + at.y) * 4u);
      }
      tileA[at.y][tileSlot(at.x)][(at.x / 16u) % 4u] = a;
      //!TRACE traceStore(stepBase + 2u * i + 1u, T_TILE_A, 4u, (at.y * (GPU_TM + 4u) + 4u * tileSlot(at.x) + (at.x / 16u) % 4u) * 4u);
    }
    for (var i = 0u; i < GPU_TN * GPU_TK / 256u; i++) {
      let bt = stageIndex(tid + i * 256u, GPU_TN, TRANS_B);
      var b = 0.0;
      if (col0 + bt.x < params.N && k0 + bt.y < kEnd) {
        b = mm_readB(k0 + bt.y, col0 + bt.x);
        //!TRACE traceLoad(stepBase + GS_B + 2u * i, T_B, 4u, mm_indexB(k0 + bt.y, col0 + bt.x) * 4u);
      }
      tileB[bt.y][tileSlot(bt.x)][(bt.x / 16u) % 4u] = b;
      //!TRACE traceStore(stepBase + GS_B + 2u * i + 1u, T_TILE_B, 4u, (bt.y * (GPU_TN + 4u) + 4u * tileSlot(bt.x) + (bt.x / 16u) % 4u) * 4u);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < GPU_TK; kk++) {
      let b = tileB[kk][lid.x];
      //!TRACE let site = stepBase + GS_READ + kk * (1u + GPU_TM / 64u);
      //!TRACE traceLoad(site, T_TILE_B, 16u, (kk * (GPU_TN + 4u) + 4u * lid.x) * 4u);
      for (var h = 0u; h < GPU_TM / 64u; h++) {
        let a = tileA[kk][16u * h + lid.y];
        //!TRACE traceLoad(site + 1u + h, T_TILE_A, 16u, (kk * (GPU_TM + 4u) + 4u * (16u * h + lid.y)) * 4u);
        acc[4u * h] += a.x * b;
        acc[4u * h + 1u] += a.y * b;
        acc[4u * h + 2u] += a.z * b;
        acc[4u * h + 3u] += a.w * b;
      }
    }
    workgroupBarrier();
  }
  let out = split * params.M * params.N;
  for (var i = 0u; i < GPU_TM / 16u; i++) {
    let r = row0 + lid.y + 16u * i;
    if (r >= params.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x + 16u * j;
      if (c < params.N) {
        C[out + r * params.N + c] = params.alpha * acc[i][j];
        //!TRACE traceStore(GS_STORE + 4u * i + j, T_C, 4u, (out + r * params.N + c) * 4u);
      }
    }
  }
}

// C = alpha · Σ_s partials[s], s = 0, 1, … in order: one invocation per output.
@compute @workgroup_size(REDUCE_THREADS)
fn reduceSplits(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let i = linearInvocationId(wid, groups, lid, REDUCE_THREADS);
  let count = params.M * params.N;
  if (i >= count) { return; }
  //!TRACE traceInvocation = i;
  var sum = partials[i];
  //!TRACE traceLoad(0u, T_PARTIALS, 4u, i * 4u);
  for (var s = 1u; s < params.splits; s++) {
    sum += partials[s * count + i];
    //!TRACE traceLoad(s, T_PARTIALS, 4u, (s * count + i) * 4u);
  }
  C[i] = params.alpha * sum;
  //!TRACE traceStore(params.splits, T_C, 4u, i * 4u);
}
