// A linear layer's nonlinearity and inverted dropout (the twin of
// kernels/activation.ts), shared by the activation kernel and the epilogues
// of the products that fuse it (the gathers' and the GEMM's output passes).
// The includer declares the consts LEAKY, SIGMOID, TANH, the uniforms kind,
// alpha (the leaky slope), dropout, seed, stream, rate, scale and the binding
// step (step[0]: the training step).
// f by params.kind:
//   LEAKY    f(z) = z for z > 0, alpha·z otherwise (ReLU: alpha 0, identity:
//            alpha 1, the SET reference's "alternated" ReLU: alpha = ∓0.6)
//   SIGMOID  f(z) = 1 / (1 + e^−z)
//   TANH     f(z) = tanh(z)
// The dropout mask is never stored: the forward and the backward redraw it
// from the counter-based PRNG (same seed, stream, step and element), so the
// backward sees the forward's mask and the CPU twin draws the same one.
//
// Sigmoid and tanh take exp only of −|z| (WGSL may assume no infinities, so
// exp must not overflow: a large |z| saturates through exp → 0 instead, never
// inf/inf = NaN). The derivative takes z, not f(z) (the forward's output has
// become the incoming gradient by then), in the same e = exp(−|z|):
// e/(1 + e)² = y(1 − y) and 4t/(1 + t)² = 1 − y² (t = e²), which keep their
// relative precision where y(1 − y) and 1 − y² would cancel (y near ±1).

// The inverted-dropout factor of element i: 1 without dropout, else 0 or 1/(1 − rate).
fn dropoutScale(i: u32) -> f32 {
  if (params.dropout == 0u) { return 1.0; }
  let batchSeed = randomU32(params.seed, params.stream, step[0]);
  return select(0.0, params.scale, randomUnit(batchSeed, params.stream, i) >= params.rate);
}

fn sigmoidOf(v: f32) -> f32 {
  let e = exp(-abs(v));
  let d = 1.0 + e;
  return select(e / d, 1.0 / d, v >= 0.0);
}

fn tanhOf(v: f32) -> f32 {
  let x = abs(v);
  var y: f32;
  if (x < 0.625) {
    // Cephes' tanhf polynomial: (1 − t)/(1 + t) would lose the low digits of a small |z| to cancellation.
    let x2 = x * x;
    y = ((((-5.70498872745e-3 * x2 + 2.06390887954e-2) * x2 - 5.37397155531e-2) * x2 + 1.33314422036e-1) * x2 - 3.33332819422e-1) * x2 * x + x;
  } else {
    let t = exp(-2.0 * x);
    y = (1.0 - t) / (1.0 + t);
  }
  return select(-y, y, v >= 0.0);
}

fn activationOf(v: f32) -> f32 {
  switch (params.kind) {
    case SIGMOID: { return sigmoidOf(v); }
    case TANH: { return tanhOf(v); }
    case LEAKY, default: { return select(params.alpha * v, v, v > 0.0); }
  }
}

fn activationPrime(v: f32) -> f32 {
  switch (params.kind) {
    case SIGMOID: {
      let e = exp(-abs(v));
      let d = 1.0 + e;
      return e / (d * d);
    }
    case TANH: {
      let t = exp(-2.0 * abs(v));
      let d = 1.0 + t;
      return 4.0 * t / (d * d);
    }
    case LEAKY, default: { return select(params.alpha, 1.0, v > 0.0); }
  }
}
