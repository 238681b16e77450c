// Fills out[i] = randomU32(seed, stream, first + i): the PRNG as a kernel of
// its own, so tests can hold the GPU stream against the CPU stream.

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i < params.count) {
    out[i] = randomU32(params.seed, params.stream, params.first + i);
  }
}
