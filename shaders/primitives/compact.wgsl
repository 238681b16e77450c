// Stream compaction, scatter step: element i with a nonzero flag goes to
// out[positions[i]], where positions is the exclusive prefix sum of the
// flags (0/1). The order of survivors is kept (a stable compaction), which is
// what keeps CSR rows sorted when kept weights are compacted.

const THREADS: u32 = 256u;

struct Params {
  count: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> flags: array<u32>;
@group(0) @binding(2) var<storage, read> positions: array<u32>;
@group(0) @binding(3) var<storage, read_write> indices: array<u32>;

@compute @workgroup_size(THREADS)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i < params.count && flags[i] != 0u) {
    indices[positions[i]] = i;
  }
}
