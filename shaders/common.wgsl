// Shared helpers, prepended to every kernel.

// The linear workgroup id of a dispatch folded into 3-D by foldWorkgroups().
fn linearWorkgroupId(wid: vec3u, groups: vec3u) -> u32 {
  return wid.x + groups.x * (wid.y + groups.y * wid.z);
}
