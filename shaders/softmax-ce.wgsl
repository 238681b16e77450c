// Softmax with cross-entropy over feature-major logits (classes × batch, one
// sample per column), and the metrics a training loop reports.
//   softmaxCrossEntropy  per sample: loss = logsumexp(z) − z[label], whether
//                        argmax(z) = label, and in place either the gradient
//                        p − onehot(label) (training) or p (inference)
//   accumulateMetrics    metrics ← (running mean loss, Σ correct, samples), one
//                        workgroup, so an epoch's figures need a single read-back
//   softmaxMetrics       both in one pass, one workgroup (a model's training
//                        and evaluation steps): thread t takes samples t,
//                        t + THREADS, …, which are the terms its lane of
//                        accumulateMetrics sums, so the metrics are the same
//                        f32 figures and no per-sample buffer is written

// Sample b: softmax (or its gradient) in place; returns (loss, 1 if right) when labeled.
fn softmaxSample(b: u32) -> vec2f {
  let B = params.batch;
  var top = logits[b];
  var arg = 0u;
  for (var c = 1u; c < params.classes; c++) {
    let v = logits[c * B + b];
    if (v > top) { top = v; arg = c; }
  }
  var sum = 0.0;
  for (var c = 0u; c < params.classes; c++) { sum += exp(logits[c * B + b] - top); }
  let label = select(params.classes, labels[b], params.labeled == 1u);
  var result = vec2f(0.0);
  if (params.labeled == 1u) {
    result = vec2f(log(sum) - (logits[label * B + b] - top), select(0.0, 1.0, arg == label));
  }
  let onehot = params.gradient == 1u;
  for (var c = 0u; c < params.classes; c++) {
    let p = exp(logits[c * B + b] - top) / sum;
    logits[c * B + b] = select(p, p - 1.0, onehot && c == label);
  }
  return result;
}

@compute @workgroup_size(THREADS)
fn softmaxCrossEntropy(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = linearInvocationId(wid, groups, lid, THREADS);
  let B = params.batch;
  if (b >= B) { return; }
  let r = softmaxSample(b);
  if (params.labeled == 1u) {
    perSample[b] = r.x;
    perSample[B + b] = r.y;
  }
}

var<workgroup> lossSums: array<f32, THREADS>;
var<workgroup> correctSums: array<f32, THREADS>;

// Folds every lane's (Σ loss/B, Σ correct) into metrics: a tree over the workgroup, then the blend.
fn foldMetrics(lane: u32, loss: f32, correct: f32) {
  let B = params.batch;
  lossSums[lane] = loss;
  correctSums[lane] = correct;
  workgroupBarrier();
  for (var width = THREADS / 2u; width > 0u; width /= 2u) {
    if (lane < width) {
      lossSums[lane] += lossSums[lane + width];
      correctSums[lane] += correctSums[lane + width];
    }
    workgroupBarrier();
  }
  if (lane == 0u) {
    let samples = metrics[2] + f32(B);
    // A convex blend of the mean so far and this batch's mean: finite when both are.
    metrics[0] += (lossSums[0] - metrics[0]) * (f32(B) / samples);
    metrics[1] += correctSums[0];
    metrics[2] = samples;
  }
}

@compute @workgroup_size(THREADS)
fn accumulateMetrics(@builtin(local_invocation_id) lid: vec3u) {
  let B = params.batch;
  var loss = 0.0;
  var correct = 0.0;
  // Terms scaled by 1/B: every partial sum is at most the batch's largest loss.
  let scale = 1.0 / f32(B);
  for (var b = lid.x; b < B; b += THREADS) {
    loss += perSample[b] * scale;
    correct += perSample[B + b];
  }
  foldMetrics(lid.x, loss, correct);
}

@compute @workgroup_size(THREADS)
fn softmaxMetrics(@builtin(local_invocation_id) lid: vec3u) {
  let B = params.batch;
  var loss = 0.0;
  var correct = 0.0;
  let scale = 1.0 / f32(B);
  for (var b = lid.x; b < B; b += THREADS) {
    let r = softmaxSample(b);
    loss += r.x * scale;
    correct += r.y;
  }
  foldMetrics(lid.x, loss, correct);
}
