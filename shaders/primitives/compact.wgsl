// Stream compaction, scatter step: element i with a nonzero flag goes to
// out[positions[i]], where positions is the exclusive prefix sum of the
// flags (0/1). The order of survivors is kept (a stable compaction), which is
// what keeps CSR rows sorted when kept weights are compacted.

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i < params.count && flags[i] != 0u) {
    indices[positions[i]] = i;
  }
}
