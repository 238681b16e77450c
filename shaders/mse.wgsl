// Mean squared error over feature-major outputs and targets (features ×
// batch, one sample per column), in the form of the QuickSelection authors'
// code (its MSE class with a linear output): per sample the loss is the mean
// over features of (y − t)² (so the epoch's running mean over samples is
// numpy's mean over every element), and with `gradient` the output becomes
// y − t in place, the delta the last layer's backward takes (it divides by
// the batch, as their update divides by the batch). That delta is the
// derivative of ½·Σ_f (y − t)², not of the reported mean: the constant 2 /
// features between them is the authors' choice, kept so the learning rate
// means what it means in their settings.
//
// perSample has softmax-ce's layout ([loss of each sample | correctness]),
// so accumulateMetrics folds it in unchanged; a reconstruction has no
// correctness and writes 0 there.

@compute @workgroup_size(THREADS)
fn mse(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = linearInvocationId(wid, groups, lid, THREADS);
  let B = params.batch;
  if (b >= B) { return; }
  var sum = 0.0;
  for (var f = 0u; f < params.features; f++) {
    let d = output[f * B + b] - targets[f * B + b];
    sum += d * d;
    if (params.gradient == 1u) { output[f * B + b] = d; }
  }
  perSample[b] = sum / f32(params.features);
  perSample[B + b] = 0.0;
}
