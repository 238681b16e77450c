// An exclusive scan of one vec2u per thread across a workgroup of THREADS
// threads (the includer's const), in two serial levels: SCAN_GROUPS threads
// each scan THREADS / SCAN_GROUPS values, then one thread the group totals.
// Four barriers instead of a tree's sixteen (barriers dominate on
// SwiftShader). The scan across workgroups is primitives/scan.wgsl. Call from
// uniform control flow.

const SCAN_GROUPS: u32 = 16u;

var<workgroup> scanPartial: array<vec2u, THREADS>;
var<workgroup> scanGroupTotal: array<vec2u, SCAN_GROUPS>;

fn workgroupExclusiveScan(lid: u32, value: vec2u) -> vec2u {
  scanPartial[lid] = value;
  workgroupBarrier();
  let per = THREADS / SCAN_GROUPS;
  if (lid < SCAN_GROUPS) {
    var sum = vec2u(0u);
    for (var i = lid * per; i < (lid + 1u) * per; i++) {
      let c = scanPartial[i];
      scanPartial[i] = sum;
      sum += c;
    }
    scanGroupTotal[lid] = sum;
  }
  workgroupBarrier();
  if (lid == 0u) {
    var sum = vec2u(0u);
    for (var g = 0u; g < SCAN_GROUPS; g++) {
      let c = scanGroupTotal[g];
      scanGroupTotal[g] = sum;
      sum += c;
    }
  }
  workgroupBarrier();
  return scanPartial[lid] + scanGroupTotal[lid / per];
}
