// Exclusive prefix sum of u32 values in place, the building block of every
// CSR rebuild (row counts → rowPtr, keep flags → positions). Reduce, then
// scan, with no workgroup memory and no barriers:
//   chunkTotals  totals[t] = the sum of chunk t (CHUNK consecutive values)
//   (the totals are scanned the same way, recursively, by the host side)
//   scanChunks   each thread rescans its chunk from its scanned total
// Each value is read twice and written once. A workgroup tree (Blelloch)
// needs ~2·log2(threads) barriers per block; software implementations such as
// SwiftShader run a barrier by switching between every invocation of the
// workgroup, which made that scan cost ~1 s per million values there.

// Chunk t: values [first, last) of the count.
fn chunk(t: u32) -> vec2u {
  return vec2u(t * CHUNK, min(params.count, t * CHUNK + CHUNK));
}

@compute @workgroup_size(THREADS)
fn chunkTotals(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = linearInvocationId(wid, groups, lid, THREADS);
  if (t * CHUNK >= params.count) { return; }
  let range = chunk(t);
  var sum = 0u;
  for (var i = range.x; i < range.y; i++) { sum += data[i]; }
  totals[t] = sum;
}

@compute @workgroup_size(THREADS)
fn scanChunks(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = linearInvocationId(wid, groups, lid, THREADS);
  if (t * CHUNK >= params.count) { return; }
  let range = chunk(t);
  var running = select(0u, totals[t], params.fromTotals == 1u);
  for (var i = range.x; i < range.y; i++) {
    let v = data[i];
    data[i] = running;
    running += v;
  }
}
