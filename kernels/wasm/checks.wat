;; The operand checks of every kernel (kernels/checks.ts).
;;
;; allFinite: whether `count` float32s at byte offset `at` (16-byte aligned) are all
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
    (i32.eqz (v128.any_true (local.get $bad))))
  ;; fingerprintLanes: advances the four lane states of src/formats/fingerprint.ts's
  ;; indexFingerprint, held as four u32s at `state`, over `count` u32s at `at`
  ;; (count a multiple of 4, both 16-byte aligned): lane j takes elements j,
  ;; j + 4, …, each step h = rotl(imul(h ^ x, K), 15). The host seeds the
  ;; state, may call again on the next chunk, and folds the lanes, the tail
  ;; and the length (finishFingerprint).
  (func (export "fingerprintLanes") (param $at i32) (param $count i32) (param $state i32)
    (local $p i32) (local $end i32) (local $h v128) (local $k v128)
    (local.set $h (v128.load (local.get $state)))
    (local.set $k (i32x4.splat (i32.const 0xcc9e2d51)))
    (local.set $p (local.get $at))
    (local.set $end (i32.add (local.get $at) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $vectors
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $h (i32x4.mul (v128.xor (local.get $h) (v128.load (local.get $p))) (local.get $k)))
        (local.set $h (v128.or (i32x4.shl (local.get $h) (i32.const 15)) (i32x4.shr_u (local.get $h) (i32.const 17))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vectors)))
    (v128.store (local.get $state) (local.get $h))))
