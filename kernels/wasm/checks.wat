;; Whether `count` float32s at byte offset `at` (16-byte aligned) are all
;; finite: a float is NaN or ±Infinity exactly when its exponent bits are all
;; ones. Four floats per SIMD compare, two vectors per pass; no early exit
;; (inputs are almost always finite, and a branch per vector costs more).
(module
  (import "env" "memory" (memory 1))
  (func (export "allFinite") (param $at i32) (param $count i32) (result i32)
    (local $p i32) (local $end8 i32) (local $end i32) (local $exp v128) (local $bad v128)
    (local.set $exp (i32x4.splat (i32.const 0x7f800000)))
    (local.set $p (local.get $at))
    (local.set $end (i32.add (local.get $at) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $end8 (i32.add (local.get $at) (i32.shl (i32.and (local.get $count) (i32.const -8)) (i32.const 2))))
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.ge_u (local.get $p) (local.get $end8)))
        (local.set $bad (v128.or (local.get $bad)
          (v128.or
            (i32x4.eq (v128.and (v128.load offset=0 (local.get $p)) (local.get $exp)) (local.get $exp))
            (i32x4.eq (v128.and (v128.load offset=16 (local.get $p)) (local.get $exp)) (local.get $exp)))))
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        (br $vectors)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $p) (local.get $end)))
        (if (i32.eq (i32.and (i32.load (local.get $p)) (i32.const 0x7f800000)) (i32.const 0x7f800000))
          (then (return (i32.const 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail)))
    (i32.eqz (v128.any_true (local.get $bad)))))
