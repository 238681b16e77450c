// Adam (Kingma & Ba 2015) with decoupled weight decay, one weight (the twin
// of adam.cpu in kernels/adam.ts):
//   m ← β1·m + (1 − β1)·g ;  v ← β2·v + (1 − β2)·g²
//   w ← w − lr·m̂ / (√v̂ + ε) − wd·w,   m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t)
// t is read from step[0], not baked in, so one recorded training step serves
// every batch. Returns (new weight, new m, new v). The includer declares the
// uniforms lr, beta1, beta2, epsilon, weightDecay and the binding step.
fn adamUpdate(w: f32, m0: f32, v0: f32, g: f32) -> vec3f {
  let t = f32(max(step[0], 1u));
  let m = params.beta1 * m0 + (1.0 - params.beta1) * g;
  let v = params.beta2 * v0 + (1.0 - params.beta2) * g * g;
  let mHat = m / (1.0 - pow(params.beta1, t));
  let vHat = v / (1.0 - pow(params.beta2, t));
  return vec3f(w - params.lr * mHat / (sqrt(vHat) + params.epsilon) - params.weightDecay * w, m, v);
}
