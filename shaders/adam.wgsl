// Adam with decoupled weight decay, in place, one invocation per weight
// (the update itself: fragments/adam.wgsl).

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i >= params.count) { return; }
  let u = adamUpdate(weights[i], firstMoment[i], secondMoment[i], gradient[i]);
  firstMoment[i] = u.y;
  secondMoment[i] = u.z;
  weights[i] = u.x;
}
