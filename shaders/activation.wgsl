// A linear layer's nonlinearity and inverted dropout, fused, feature-major:
//   activate   a[i] = f(z[i]) · mask(i)
//   derive     g[i] = g[i] · f'(z[i]) · mask(i)      (in place: dA becomes dZ)
// f is the leaky family f(z) = z for z > 0, alpha·z otherwise (ReLU: alpha 0,
// identity: alpha 1, the SET reference's "alternated" ReLU: alpha = ∓0.6).
// The dropout mask is never stored: both passes redraw it from the
// counter-based PRNG (same seed, stream and element), so backward sees the
// forward's mask and the CPU twin draws the same one.

fn keepScale(i: u32) -> f32 {
  if (params.dropout == 0u) { return 1.0; }
  let batchSeed = randomU32(params.seed, params.stream, step[0]);
  return select(0.0, params.scale, randomUnit(batchSeed, params.stream, i) >= params.rate);
}

@compute @workgroup_size(THREADS)
fn activate(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i >= params.count) { return; }
  let v = z[i];
  values[i] = select(params.alpha * v, v, v > 0.0) * keepScale(i);
}

@compute @workgroup_size(THREADS)
fn derive(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i >= params.count) { return; }
  values[i] = values[i] * select(params.alpha, 1.0, z[i] > 0.0) * keepScale(i);
}
