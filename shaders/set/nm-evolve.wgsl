// N:M topology evolution inside each group (structured dynamic sparse
// training): groups whose weakest kept weight is among the smallest (by
// |w|) drop that weight and regrow one at a uniformly random position of the
// same group that is not kept (the dropped one may come back, as in SET);
// the new weight is uniform(-limit, limit) with zero velocity. Every group
// keeps exactly n slots, so the layer stays N:M.
//   groupMinimum  per group: min |w| over its slots
//   evolveGroups  per group (min |w| < threshold): new positions/values, slots re-sorted
//   packWords     per packed word: positions → log2(m)-bit fields (no two threads share a word)

const MAX_N: u32 = 16u;

fn position(k: u32) -> u32 {
  let perWord = 32u / params.bits;
  return (packed[k / perWord] >> ((k % perWord) * params.bits)) & (params.m - 1u);
}

@compute @workgroup_size(THREADS)
fn groupMinimum(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let g = linearInvocationId(wid, groups, lid, THREADS);
  if (g >= params.groups) { return; }
  var mn = abs(values[g * params.n]);
  for (var t = 1u; t < params.n; t++) { mn = min(mn, abs(values[g * params.n + t])); }
  groupMin[g] = mn;
}

@compute @workgroup_size(THREADS)
fn evolveGroups(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let g = linearInvocationId(wid, groups, lid, THREADS);
  if (g >= params.groups) { return; }
  let first = g * params.n;
  var pos: array<u32, MAX_N>;
  var val: array<f32, MAX_N>;
  var vel: array<f32, MAX_N>;
  var sec: array<f32, MAX_N>;
  for (var t = 0u; t < params.n; t++) {
    pos[t] = position(first + t);
    val[t] = values[first + t];
    vel[t] = velocity[first + t];
    sec[t] = second[first + t];
  }
  if (groupMin[g] < keyToFloat(threshold[0])) {
    // The weakest slot (lowest index on ties) is dropped...
    var weakest = 0u;
    for (var t = 1u; t < params.n; t++) { if (abs(val[t]) < abs(val[weakest])) { weakest = t; } }
    // ...and regrown at the r-th position (ascending) not held by the other slots.
    var taken = 0u;
    for (var t = 0u; t < params.n; t++) { if (t != weakest) { taken = taken | (1u << pos[t]); } }
    let free = params.m - (params.n - 1u);
    var r = mulhi(randomU32(params.seed, params.stream, g), free);
    var p = 0u;
    loop {
      if ((taken & (1u << p)) == 0u) {
        if (r == 0u) { break; }
        r--;
      }
      p++;
    }
    pos[weakest] = p;
    val[weakest] = params.limit * (2.0 * randomUnit(params.seed, params.stream + 1u, g) - 1.0);
    vel[weakest] = 0.0;
    sec[weakest] = 0.0;
    // Keep the slots sorted by position (insertion sort of n ≤ 16).
    for (var i = 1u; i < params.n; i++) {
      let kp = pos[i];
      let kv = val[i];
      let kw = vel[i];
      let ks = sec[i];
      var j = i;
      while (j > 0u && pos[j - 1u] > kp) {
        pos[j] = pos[j - 1u];
        val[j] = val[j - 1u];
        vel[j] = vel[j - 1u];
        sec[j] = sec[j - 1u];
        j--;
      }
      pos[j] = kp;
      val[j] = kv;
      vel[j] = kw;
      sec[j] = ks;
    }
  }
  for (var t = 0u; t < params.n; t++) {
    positions[first + t] = pos[t];
    values[first + t] = val[t];
    velocity[first + t] = vel[t];
    second[first + t] = sec[t];
  }
}

@compute @workgroup_size(THREADS)
fn packWords(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let w = linearInvocationId(wid, groups, lid, THREADS);
  if (w >= params.words) { return; }
  let perWord = 32u / params.bits;
  var word = 0u;
  for (var f = 0u; f < perWord; f++) {
    let k = w * perWord + f;
    if (k < params.slots) { word = word | (positions[k] << (f * params.bits)); }
  }
  packed[w] = word;
}
