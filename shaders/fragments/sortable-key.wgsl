// f32 ↔ u32 keys that sort like the floats (radix select, RigL's candidate
// threshold, SET's and N:M evolution's thresholds), written once.

fn sortableKey(v: f32) -> u32 {
  let bits = bitcast<u32>(v);
  // Negative: flip all bits (larger magnitude sorts first); positive: flip the sign bit.
  return select(bits ^ 0x80000000u, ~bits, (bits & 0x80000000u) != 0u);
}

fn keyToFloat(key: u32) -> f32 {
  return bitcast<f32>(select(~key, key ^ 0x80000000u, (key & 0x80000000u) != 0u));
}
