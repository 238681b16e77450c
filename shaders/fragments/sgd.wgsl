// SGD with momentum and weight decay, as the SET reference updates (the twin
// of sgdMomentum.cpu in kernels/elementwise.ts): v ← μ·v − lr·g ;
// w ← w + v − wd·w. Returns (new weight, new velocity). The includer declares
// the uniforms lr, momentum, weightDecay.
fn sgdUpdate(w: f32, velocity: f32, g: f32) -> vec2f {
  let v = params.momentum * velocity - params.lr * g;
  return vec2f(w + v - params.weightDecay * w, v);
}
