// Small per-element steps of a layer's training, feature-major activations:
//   addBias      Y[r, b] += bias[r]
//   rowSums      out[r] = alpha · Σ_b M[r, b]          (the bias gradient)
//   sgdMomentum  v ← μ·v − lr·g ;  w ← w + v − wd·w   (the SET reference's update)

@compute @workgroup_size(THREADS)
fn addBias(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i < params.rows * params.cols) { matrix[i] += vector[i / params.cols]; }
}

@compute @workgroup_size(THREADS)
fn rowSums(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = linearInvocationId(wid, groups, lid, THREADS);
  if (r >= params.rows) { return; }
  var s = 0.0;
  for (var b = 0u; b < params.cols; b++) { s += matrix[r * params.cols + b]; }
  vector[r] = params.alpha * s;
}

// `vector` holds the weights here.
@compute @workgroup_size(THREADS)
fn sgdMomentum(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i >= params.count) { return; }
  let v = params.momentum * velocity[i] - params.lr * gradient[i];
  velocity[i] = v;
  let w = vector[i];
  vector[i] = w + v - params.weightDecay * w;
}
