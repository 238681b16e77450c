// Counter-based random numbers, the bit-exact twin of src/random.ts:
// randomU32(seed, stream, counter) is the same on the GPU and the CPU, so a
// seeded evolution draws the same candidates on both backends.

fn mix32(v: u32) -> u32 {
  var x = v;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  x = x ^ (x >> 16u);
  return x;
}

fn randomU32(seed: u32, stream: u32, counter: u32) -> u32 {
  let key = mix32(seed + stream * 0x9e3779b9u);
  return mix32(mix32(counter ^ key) + key);
}

// Uniform in [0, 1) with 24 bits (exact in f32).
fn randomUnit(seed: u32, stream: u32, counter: u32) -> f32 {
  return f32(randomU32(seed, stream, counter) >> 8u) * (1.0 / 16777216.0);
}

// floor(u · n / 2³²) exactly, from 16-bit halves (no u64 in WGSL): a uniform
// integer in [0, n) from a uniform u32, the twin of mulhi in kernels/set/regrow.ts.
fn mulhi(u: u32, n: u32) -> u32 {
  let uh = u >> 16u;
  let ul = u & 0xffffu;
  let nh = n >> 16u;
  let nl = n & 0xffffu;
  let a = uh * nl + ((ul * nl) >> 16u);
  let b = ul * nh + (a & 0xffffu);
  return uh * nh + (a >> 16u) + (b >> 16u);
}
