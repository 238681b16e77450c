// Small per-element steps of a layer's training, feature-major activations:
//   addBias      Y[r, b] += bias[r]
//   rowSums      out[r] = alpha · Σ_b M[r, b]          (the bias gradient)
//   sgdMomentum  v ← μ·v − lr·g ;  w ← w + v − wd·w   (the SET reference's update)
//   biasSgd      the bias gradient (as rowSums) and its SGD update in one pass,
//   biasAdam     or its Adam update: bias = vector, its moments velocity and
//                second, the layer's output gradient = matrix
// Row sums add column b into lane b mod 4 and the lanes as ((l0 + l1) + l2) + l3,
// the order of the SDDMM's entries (shaders/sddmm.wgsl), so a bias folded
// into the SDDMM pass and one updated here get the same gradient.

@compute @workgroup_size(THREADS)
fn addBias(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i < params.rows * params.cols) { matrix[i] += vector[i / params.cols]; }
}

fn rowSum(r: u32) -> f32 {
  var lanes = vec4f(0.0);
  for (var b = 0u; b < params.cols; b++) { lanes[b % 4u] += matrix[r * params.cols + b]; }
  return params.alpha * (lanes.x + lanes.y + lanes.z + lanes.w);
}

@compute @workgroup_size(THREADS)
fn rowSums(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = linearInvocationId(wid, groups, lid, THREADS);
  if (r >= params.rows) { return; }
  vector[r] = rowSum(r);
}

// Element i of `vector` (a weight or a bias) and its velocity take
// sgdUpdate's step for gradient g.
fn sgdStep(i: u32, g: f32) {
  let u = sgdUpdate(vector[i], velocity[i], g);
  velocity[i] = u.y;
  vector[i] = u.x;
}

// `vector` holds the weights here.
@compute @workgroup_size(THREADS)
fn sgdMomentum(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i >= params.count) { return; }
  sgdStep(i, gradient[i]);
}

@compute @workgroup_size(THREADS)
fn biasSgd(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = linearInvocationId(wid, groups, lid, THREADS);
  if (r >= params.rows) { return; }
  sgdStep(r, rowSum(r));
}

@compute @workgroup_size(THREADS)
fn biasAdam(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = linearInvocationId(wid, groups, lid, THREADS);
  if (r >= params.rows) { return; }
  let u = adamUpdate(vector[r], velocity[r], second[r], rowSum(r));
  velocity[r] = u.y;
  second[r] = u.z;
  vector[r] = u.x;
}
