;; SGD with momentum and weight decay over a layer's weights with 128-bit
;; SIMD, in place (kernels/elementwise.ts sgdMomentum, the SET reference's
;; rule), one f32 rounding per operation as the JavaScript loop and the GPU:
;;   v ← momentum · v − lr · g
;;   w ← (w + v) − weightDecay · w
;; for j < count rounded up to a multiple of 4 (arrays 16-byte aligned; the
;; caller copies back `count`).
(module
  (import "env" "memory" (memory 1))
  (func (export "sgdMomentum")
    (param $w i32) (param $g i32) (param $v i32) (param $count i32) (param $lr f32) (param $momentum f32) (param $decay f32)
    (local $at i32) (local $end i32) (local $lrs v128) (local $ms v128) (local $ds v128) (local $vel v128) (local $wt v128)
    (local.set $lrs (f32x4.splat (local.get $lr)))
    (local.set $ms (f32x4.splat (local.get $momentum)))
    (local.set $ds (f32x4.splat (local.get $decay)))
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (block $done
      (loop $entries
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $vel (f32x4.sub
          (f32x4.mul (local.get $ms) (v128.load (i32.add (local.get $v) (local.get $at))))
          (f32x4.mul (local.get $lrs) (v128.load (i32.add (local.get $g) (local.get $at))))))
        (v128.store (i32.add (local.get $v) (local.get $at)) (local.get $vel))
        (local.set $wt (v128.load (i32.add (local.get $w) (local.get $at))))
        (v128.store (i32.add (local.get $w) (local.get $at))
          (f32x4.sub (f32x4.add (local.get $wt) (local.get $vel)) (f32x4.mul (local.get $ds) (local.get $wt))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $entries)))))
