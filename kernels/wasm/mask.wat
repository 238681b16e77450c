;; The dropout mask of the CPU backend's training step with 128-bit SIMD:
;;   out[j] = scale if (randomU32Keyed(key, start + j) >>> 8) >= threshold, else 0
;; for j < count rounded up to a multiple of 4 (the caller reads `count`):
;; src/random.ts' counter-based draw (two mix32 rounds, the second keyed),
;; four counters per vector, i32x4.mul being Math.imul lane by lane. The
;; JavaScript loop (kernels/activation.ts fillMask) took about a third of a
;; CPU training epoch, drawing each mask twice (forward and backward).
;; `threshold` is an integer here: ceil(fround(rate) · 2^24).
;; activateLeaky and deriveLeaky fuse the mask into the leaky ReLU's forward
;; (a = f(z) · m) and its derivative (g ← g · f'(z) · m) in one pass over the
;; activations, one f32 rounding per product as kernels/activation.ts' loops
;; (threshold 0 and scale 1: no dropout, m = 1 exactly).
(module
  (import "env" "memory" (memory 1))
  (func $mix (param $x v128) (result v128)
    (local.set $x (v128.xor (local.get $x) (i32x4.shr_u (local.get $x) (i32.const 16))))
    (local.set $x (i32x4.mul (local.get $x) (i32x4.splat (i32.const 0x7feb352d))))
    (local.set $x (v128.xor (local.get $x) (i32x4.shr_u (local.get $x) (i32.const 15))))
    (local.set $x (i32x4.mul (local.get $x) (i32x4.splat (i32.const 0x846ca68b))))
    (v128.xor (local.get $x) (i32x4.shr_u (local.get $x) (i32.const 16))))
  ;; The kept-element factors (scale or +0) of elements counter .. counter + 3.
  (func $keep (param $counter v128) (param $keys v128) (param $thr v128) (param $scales v128) (result v128)
    (local $x v128)
    (local.set $x (call $mix (v128.xor (local.get $counter) (local.get $keys))))
    (local.set $x (call $mix (i32x4.add (local.get $x) (local.get $keys))))
    (v128.and (local.get $scales) (i32x4.ge_u (i32x4.shr_u (local.get $x) (i32.const 8)) (local.get $thr))))
  ;; a[j] = (z > 0 ? z : alpha · z) · m[j] for j < count rounded up to 4; z and a are byte offsets of element `start`.
  (func (export "activateLeaky")
    (param $z i32) (param $a i32) (param $start i32) (param $count i32) (param $key i32) (param $threshold i32) (param $scale f32) (param $alpha f32)
    (local $j i32) (local $at i32) (local $counter v128) (local $keys v128) (local $thr v128) (local $scales v128) (local $alphas v128) (local $v v128)
    (local.set $keys (i32x4.splat (local.get $key)))
    (local.set $thr (i32x4.splat (local.get $threshold)))
    (local.set $scales (f32x4.splat (local.get $scale)))
    (local.set $alphas (f32x4.splat (local.get $alpha)))
    (local.set $counter (i32x4.add (i32x4.splat (local.get $start)) (v128.const i32x4 0 1 2 3)))
    (block $done
      (loop $elements
        (br_if $done (i32.ge_u (local.get $j) (local.get $count)))
        (local.set $at (i32.shl (local.get $j) (i32.const 2)))
        (local.set $v (v128.load (i32.add (local.get $z) (local.get $at))))
        (local.set $v (v128.bitselect (local.get $v) (f32x4.mul (local.get $alphas) (local.get $v)) (f32x4.gt (local.get $v) (f32x4.splat (f32.const 0)))))
        (v128.store (i32.add (local.get $a) (local.get $at))
          (f32x4.mul (local.get $v) (call $keep (local.get $counter) (local.get $keys) (local.get $thr) (local.get $scales))))
        (local.set $counter (i32x4.add (local.get $counter) (i32x4.splat (i32.const 4))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $elements))))
  ;; g[j] ← (g[j] · (z > 0 ? 1 : alpha)) · m[j], in place.
  (func (export "deriveLeaky")
    (param $z i32) (param $g i32) (param $start i32) (param $count i32) (param $key i32) (param $threshold i32) (param $scale f32) (param $alpha f32)
    (local $j i32) (local $at i32) (local $counter v128) (local $keys v128) (local $thr v128) (local $scales v128) (local $alphas v128) (local $slope v128)
    (local.set $keys (i32x4.splat (local.get $key)))
    (local.set $thr (i32x4.splat (local.get $threshold)))
    (local.set $scales (f32x4.splat (local.get $scale)))
    (local.set $alphas (f32x4.splat (local.get $alpha)))
    (local.set $counter (i32x4.add (i32x4.splat (local.get $start)) (v128.const i32x4 0 1 2 3)))
    (block $done
      (loop $elements
        (br_if $done (i32.ge_u (local.get $j) (local.get $count)))
        (local.set $at (i32.shl (local.get $j) (i32.const 2)))
        (local.set $slope (v128.bitselect (f32x4.splat (f32.const 1)) (local.get $alphas)
          (f32x4.gt (v128.load (i32.add (local.get $z) (local.get $at))) (f32x4.splat (f32.const 0)))))
        (v128.store (i32.add (local.get $g) (local.get $at))
          (f32x4.mul (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $at))) (local.get $slope))
            (call $keep (local.get $counter) (local.get $keys) (local.get $thr) (local.get $scales))))
        (local.set $counter (i32x4.add (local.get $counter) (i32x4.splat (i32.const 4))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $elements))))
  (func (export "fillMask")
    (param $out i32) (param $start i32) (param $count i32) (param $key i32) (param $threshold i32) (param $scale f32)
    (local $j i32) (local $counter v128) (local $keys v128) (local $thr v128) (local $scales v128)
    (local.set $keys (i32x4.splat (local.get $key)))
    (local.set $thr (i32x4.splat (local.get $threshold)))
    (local.set $scales (f32x4.splat (local.get $scale)))
    (local.set $counter (i32x4.add (i32x4.splat (local.get $start)) (v128.const i32x4 0 1 2 3)))
    (block $done
      (loop $draws
        (br_if $done (i32.ge_u (local.get $j) (local.get $count)))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
          (call $keep (local.get $counter) (local.get $keys) (local.get $thr) (local.get $scales)))
        (local.set $counter (i32x4.add (local.get $counter) (i32x4.splat (i32.const 4))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $draws)))))
