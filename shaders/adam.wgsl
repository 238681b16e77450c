// Adam (Kingma & Ba 2015) with decoupled weight decay, in place, per weight:
//   m ← β1·m + (1 − β1)·g ;  v ← β2·v + (1 − β2)·g²
//   w ← w − lr·m̂ / (√v̂ + ε) − wd·w,   m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t)
// t is read from a buffer, not baked in, so one recorded training step serves
// every batch.

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i >= params.count) { return; }
  let t = f32(max(step[0], 1u));
  let g = gradient[i];
  let m = params.beta1 * firstMoment[i] + (1.0 - params.beta1) * g;
  let v = params.beta2 * secondMoment[i] + (1.0 - params.beta2) * g * g;
  firstMoment[i] = m;
  secondMoment[i] = v;
  let mHat = m / (1.0 - pow(params.beta1, t));
  let vHat = v / (1.0 - pow(params.beta2, t));
  let w = weights[i];
  weights[i] = w - params.lr * mHat / (sqrt(vHat) + params.epsilon) - params.weightDecay * w;
}
