// Input corruption of a denoising autoencoder, in the QuickSelection
// authors' form: additive Gaussian noise, x̃ = x + σ·n with n ~ N(0, 1), not
// clipped (their inputs are standardised, not in [0, 1]). X and out are
// feature-major (features × batch); samples[b] is the data-set index of
// column b. The noise of (sample, feature) is drawn from the counter-based
// generator with the sample as its stream and 2·feature, 2·feature + 1 as
// counters, so it depends on the sample and not on where a shuffle put it:
// the authors draw the noise once before training and shuffle it with the
// data, and the same seed every epoch does exactly that (a new seed per
// epoch gives fresh noise instead).
//
// Box–Muller, n = sqrt(−2 ln u)·cos(2πv) with u in (0, 1], from two 24-bit
// uniforms. WGSL's log and cos are not correctly rounded (cos is only bound
// to 2⁻¹¹ absolute, and SwiftShader's differ from the CPU's by 10⁻⁴ of σ), so
// both are written here as Cephes' logf and sinf/cosf polynomials in plain
// f32 arithmetic that the CPU twin repeats step for step: GPU and CPU then
// draw the same noise to a few ulp on any adapter.

const SQRT_HALF: f32 = 0.70710678118654752;
const TWO_PI: f32 = 6.28318530717958648;

// ln(u) for a normal u > 0: u = m·2^e with m in [√½, √2), then Cephes' logf on m − 1.
fn lnPositive(u: f32) -> f32 {
  let parts = frexp(u);
  var e = f32(parts.exp);
  var x = parts.fract;
  if (x < SQRT_HALF) { e -= 1.0; x = x + x - 1.0; } else { x = x - 1.0; }
  let z = x * x;
  var y = 7.0376836292e-2 * x - 1.1514610310e-1;
  y = y * x + 1.1676998740e-1;
  y = y * x - 1.2420140846e-1;
  y = y * x + 1.4249322787e-1;
  y = y * x - 1.6668057665e-1;
  y = y * x + 2.0000714765e-1;
  y = y * x - 2.4999993993e-1;
  y = y * x + 3.3333331174e-1;
  y = y * x * z;
  y += -2.12194440e-4 * e;
  y += -0.5 * z;
  return x + y + 0.693359375 * e;
}

fn cosPoly(x: f32) -> f32 {
  let z = x * x;
  var y = 2.443315711809948e-5 * z - 1.388731625493765e-3;
  y = y * z + 4.166664568298827e-2;
  return y * z * z - 0.5 * z + 1.0;
}

fn sinPoly(x: f32) -> f32 {
  let z = x * x;
  var y = -1.9515295891e-4 * z + 8.3321608736e-3;
  y = y * z - 1.6666654611e-1;
  return y * z * x + x;
}

// cos(2πv) for v in [0, 1): a = min(v, 1 − v) and the octant reductions are exact for 24-bit v.
fn cosTwoPi(v: f32) -> f32 {
  let a = min(v, 1.0 - v);
  if (a <= 0.125) { return cosPoly(TWO_PI * a); }
  if (a <= 0.375) { return sinPoly(TWO_PI * (0.25 - a)); }
  return -cosPoly(TWO_PI * (0.5 - a));
}

@compute @workgroup_size(THREADS)
fn corrupt(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = linearInvocationId(wid, groups, lid, THREADS);
  if (i >= params.count) { return; }
  let f = i / params.batch;
  let sample = samples[i % params.batch];
  let u = 1.0 - randomUnit(params.seed, sample, 2u * f);
  let v = randomUnit(params.seed, sample, 2u * f + 1u);
  let n = sqrt(-2.0 * lnPositive(u)) * cosTwoPi(v);
  out[i] = X[i] + params.sigma * n;
}
