// Shared helpers, prepended to every kernel.

// The linear workgroup id of a dispatch folded into 3-D by foldWorkgroups().
fn linearWorkgroupId(wid: vec3u, groups: vec3u) -> u32 {
  return wid.x + groups.x * (wid.y + groups.y * wid.z);
}

// The linear index of this invocation in a 1-D dispatch of `threads`-wide
// workgroups, folded like linearWorkgroupId.
fn linearInvocationId(wid: vec3u, groups: vec3u, lid: vec3u, threads: u32) -> u32 {
  return linearWorkgroupId(wid, groups) * threads + lid.x;
}
