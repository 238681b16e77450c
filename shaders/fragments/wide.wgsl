// Unsigned 160-bit integers in five u32 words, least significant first: what
// a one-thread pass needs to reproduce a host float64 formula exactly (WGSL
// has no f64, and f32 or a u64 would round or overflow). Used by SET's
// threshold ranks (set/prune.wgsl) and regrowth's candidate count
// (set/regrow.wgsl). Every function takes and returns values; indexing goes
// through a local copy, which WGSL requires for a runtime index.

alias Wide = array<u32, 5>;

fn wideOf(x: u32) -> Wide {
  return Wide(x, 0u, 0u, 0u, 0u);
}

// a · b as (low word, high word).
fn mul32(a: u32, b: u32) -> vec2u {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return vec2u((p00 & 0xffffu) | (mid << 16u), a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u));
}

// (hi · 2³² + lo) · a, exactly (at most 96 bits).
fn mulWide(hi: u32, lo: u32, a: u32) -> Wide {
  let l = mul32(lo, a);
  let h = mul32(hi, a);
  let middle = l.y + h.x;
  return Wide(l.x, middle, h.y + select(0u, 1u, middle < l.y), 0u, 0u);
}

// a + b, or with `negate` a + ~b + 1 = a − b (two's complement, exact for
// a ≥ b): one carry chain for both.
fn carryChainWide(a: Wide, b: Wide, negate: bool) -> Wide {
  var x = a;
  var y = b;
  var r: Wide;
  var carry = select(0u, 1u, negate);
  for (var i = 0u; i < 5u; i++) {
    let s = x[i] + select(y[i], ~y[i], negate);
    let t = s + carry;
    carry = select(0u, 1u, s < x[i]) + select(0u, 1u, t < s);
    r[i] = t;
  }
  return r;
}

fn addWide(a: Wide, b: Wide) -> Wide {
  return carryChainWide(a, b, false);
}

// a − b for a ≥ b.
fn subWide(a: Wide, b: Wide) -> Wide {
  return carryChainWide(a, b, true);
}

// The most significant word in which a and b differ; 5 when a == b.
fn topDifferentWord(a: Wide, b: Wide) -> u32 {
  var x = a;
  var y = b;
  for (var k = 0u; k < 5u; k++) {
    let i = 4u - k;
    if (x[i] != y[i]) { return i; }
  }
  return 5u;
}

fn lessWide(a: Wide, b: Wide) -> bool {
  let i = topDifferentWord(a, b);
  if (i == 5u) { return false; }
  var x = a;
  var y = b;
  return x[i] < y[i];
}

// a · 2^(32·k + c), floored, for a word offset k that may be negative and
// 0 ≤ c < 32: word i of the result is word i − k shifted up by c, with the
// bits that word i − k − 1 shifts out (words outside 0 … 4 read as 0). Both
// shifts are this funnel: a right shift by 32·w + b is one by −(w + 1) words
// and 32 − b bits (−w words when b = 0). The loop visits only the result
// words those reach (5 − w of them, as bench/model/evolution.ts counts).
fn funnelShiftWide(a: Wide, k: i32, c: u32) -> Wide {
  var x = a;
  var r: Wide;
  let end = min(5, 5 + k + select(0, 1, c != 0u));
  for (var i = max(0, k); i < end; i++) {
    let high = i - k;
    if (high < 5) { r[i] = x[high] << c; }
    if (c != 0u && high > 0) { r[i] |= x[high - 1] >> (32u - c); }
  }
  return r;
}

fn shiftLeftWide(a: Wide, s: u32) -> Wide {
  return funnelShiftWide(a, i32(s / 32u), s % 32u);
}

fn shiftRightWide(a: Wide, s: u32) -> Wide {
  let bits = s % 32u;
  if (bits == 0u) { return funnelShiftWide(a, -i32(s / 32u), 0u); }
  return funnelShiftWide(a, -i32(s / 32u) - 1, 32u - bits);
}

// Position of the highest set bit plus one (0 for 0).
fn bitLengthWide(a: Wide) -> u32 {
  let i = topDifferentWord(a, wideOf(0u));
  if (i == 5u) { return 0u; }
  var x = a;
  return 32u * i + 32u - countLeadingZeros(x[i]);
}

// Whether any bit below position p is set.
fn anyBitBelowWide(a: Wide, p: u32) -> bool {
  var x = a;
  for (var i = 0u; i < 5u && 32u * i < p; i++) {
    let n = min(32u, p - 32u * i);
    let mask = select((1u << n) - 1u, 0xffffffffu, n == 32u);
    if ((x[i] & mask) != 0u) { return true; }
  }
  return false;
}

// a rounded to 53 significant bits, half to even: the float64 nearest an
// exact result, as IEEE 754 rounds every product and sum (a < 2¹⁵⁹).
fn roundToDoubleWide(a: Wide) -> Wide {
  let length = bitLengthWide(a);
  if (length <= 53u) { return a; }
  let s = length - 53u;
  var m = shiftRightWide(a, s);
  var x = a;
  let half = ((x[(s - 1u) / 32u] >> ((s - 1u) % 32u)) & 1u) != 0u;
  if (half && ((m[0] & 1u) != 0u || anyBitBelowWide(a, s - 1u))) { m = addWide(m, wideOf(1u)); }
  return shiftLeftWide(m, s);
}
