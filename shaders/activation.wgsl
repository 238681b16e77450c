// A linear layer's nonlinearity and inverted dropout, fused, feature-major
// (f, its derivative and the mask: fragments/activation.wgsl):
//   activate   a[i] = f(z[i]) · mask(i)
//   derive     g[i] = g[i] · f'(z[i]) · mask(i)      (in place: dA becomes dZ)
// A model's training step fuses both into its products' output passes
// (the epilogues in spmm.wgsl); these passes serve the formats and callers that
// do not.

@compute @workgroup_size(THREADS)
fn activate(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i >= params.count) { return; }
  values[i] = activationOf(z[i]) * dropoutScale(i);
}

@compute @workgroup_size(THREADS)
fn derive(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i >= params.count) { return; }
  values[i] = values[i] * activationPrime(z[i]) * dropoutScale(i);
}
