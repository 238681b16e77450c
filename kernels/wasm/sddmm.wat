;; The CPU backend's SDDMM with 128-bit SIMD: for each stored entry k,
;;   out[k] = alpha · Σ_b dY[rowOf[k], b] · X[colIdx[k], b]
;; dY and X row-major with `batch` columns, batch % 4 == 0, arrays 16-byte
;; aligned; offsets are byte offsets. Four f32 lanes summed at the end in
;; the GPU kernel's order ((x + y) + z) + w.
(module
  (import "env" "memory" (memory 1))
  (func (export "sddmm")
    (param $nnz i32) (param $batch i32) (param $alpha f32)
    (param $rowOf i32) (param $colIdx i32) (param $dy i32) (param $x i32) (param $out i32)
    (local $k i32) (local $row i32) (local $q i32) (local $a i32) (local $b i32) (local $acc v128)
    (local.set $row (i32.shl (local.get $batch) (i32.const 2)))
    (block $done
      (loop $entries
        (br_if $done (i32.ge_u (local.get $k) (local.get $nnz)))
        (local.set $a (i32.add (local.get $dy) (i32.mul (i32.load (i32.add (local.get $rowOf) (i32.shl (local.get $k) (i32.const 2)))) (local.get $row))))
        (local.set $b (i32.add (local.get $x) (i32.mul (i32.load (i32.add (local.get $colIdx) (i32.shl (local.get $k) (i32.const 2)))) (local.get $row))))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $q (i32.const 0))
        (block $dotDone
          (loop $dot
            (br_if $dotDone (i32.ge_u (local.get $q) (local.get $row)))
            (local.set $acc (f32x4.add (local.get $acc)
              (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $q))) (v128.load (i32.add (local.get $b) (local.get $q))))))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br $dot)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 2)))
          (f32.mul (local.get $alpha)
            (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                              (f32x4.extract_lane 2 (local.get $acc)))
                     (f32x4.extract_lane 3 (local.get $acc)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $entries)))))
