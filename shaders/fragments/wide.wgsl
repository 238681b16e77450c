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

fn addWide(a: Wide, b: Wide) -> Wide {
  var x = a;
  var y = b;
  var r: Wide;
  var carry = 0u;
  for (var i = 0u; i < 5u; i++) {
    let s = x[i] + y[i];
    let t = s + carry;
    carry = select(0u, 1u, s < x[i]) + select(0u, 1u, t < s);
    r[i] = t;
  }
  return r;
}

// a − b for a ≥ b.
fn subWide(a: Wide, b: Wide) -> Wide {
  var x = a;
  var y = b;
  var r: Wide;
  var borrow = 0u;
  for (var i = 0u; i < 5u; i++) {
    let d = x[i] - y[i];
    r[i] = d - borrow;
    borrow = select(0u, 1u, x[i] < y[i]) + select(0u, 1u, d < borrow);
  }
  return r;
}

fn lessWide(a: Wide, b: Wide) -> bool {
  var x = a;
  var y = b;
  for (var k = 0u; k < 5u; k++) {
    let i = 4u - k;
    if (x[i] != y[i]) { return x[i] < y[i]; }
  }
  return false;
}

fn shiftLeftWide(a: Wide, s: u32) -> Wide {
  var x = a;
  var r: Wide;
  let words = s / 32u;
  let bits = s % 32u;
  for (var i = words; i < 5u; i++) {
    var v = x[i - words] << bits;
    if (bits != 0u && i > words) { v |= x[i - words - 1u] >> (32u - bits); }
    r[i] = v;
  }
  return r;
}

fn shiftRightWide(a: Wide, s: u32) -> Wide {
  var x = a;
  var r: Wide;
  let words = s / 32u;
  let bits = s % 32u;
  for (var i = 0u; i + words < 5u; i++) {
    var v = x[i + words] >> bits;
    if (bits != 0u && i + words + 1u < 5u) { v |= x[i + words + 1u] << (32u - bits); }
    r[i] = v;
  }
  return r;
}

// Position of the highest set bit plus one (0 for 0).
fn bitLengthWide(a: Wide) -> u32 {
  var x = a;
  for (var k = 0u; k < 5u; k++) {
    let i = 4u - k;
    if (x[i] != 0u) { return 32u * i + 32u - countLeadingZeros(x[i]); }
  }
  return 0u;
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
