;; The dropout mask of the CPU backend's training step with 128-bit SIMD:
;;   out[j] = scale if (randomU32Keyed(key, start + j) >>> 8) >= threshold, else 0
;; for j < count rounded up to a multiple of 4 (the caller reads `count`):
;; src/random.ts' counter-based draw (two mix32 rounds, the second keyed),
;; four counters per vector, i32x4.mul being Math.imul lane by lane. The
;; JavaScript loop (kernels/activation.ts fillMask) took about a third of a
;; CPU training epoch, drawing each mask twice (forward and backward).
;; `threshold` is an integer here: ceil(fround(rate) · 2^24).
(module
  (import "env" "memory" (memory 1))
  (func $mix (param $x v128) (result v128)
    (local.set $x (v128.xor (local.get $x) (i32x4.shr_u (local.get $x) (i32.const 16))))
    (local.set $x (i32x4.mul (local.get $x) (i32x4.splat (i32.const 0x7feb352d))))
    (local.set $x (v128.xor (local.get $x) (i32x4.shr_u (local.get $x) (i32.const 15))))
    (local.set $x (i32x4.mul (local.get $x) (i32x4.splat (i32.const 0x846ca68b))))
    (v128.xor (local.get $x) (i32x4.shr_u (local.get $x) (i32.const 16))))
  (func (export "fillMask")
    (param $out i32) (param $start i32) (param $count i32) (param $key i32) (param $threshold i32) (param $scale f32)
    (local $j i32) (local $counter v128) (local $keys v128) (local $thr v128) (local $scales v128) (local $x v128)
    (local.set $keys (i32x4.splat (local.get $key)))
    (local.set $thr (i32x4.splat (local.get $threshold)))
    (local.set $scales (f32x4.splat (local.get $scale)))
    (local.set $counter (i32x4.add (i32x4.splat (local.get $start)) (v128.const i32x4 0 1 2 3)))
    (block $done
      (loop $draws
        (br_if $done (i32.ge_u (local.get $j) (local.get $count)))
        (local.set $x (call $mix (v128.xor (local.get $counter) (local.get $keys))))
        (local.set $x (call $mix (i32x4.add (local.get $x) (local.get $keys))))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
          (v128.and (local.get $scales) (i32x4.ge_u (i32x4.shr_u (local.get $x) (i32.const 8)) (local.get $thr))))
        (local.set $counter (i32x4.add (local.get $counter) (i32x4.splat (i32.const 4))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $draws)))))
