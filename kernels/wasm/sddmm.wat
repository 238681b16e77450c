;; The CPU backend's SDDMM with 128-bit SIMD: for each stored entry k,
;;   out[k] = alpha · Σ_b dY[rowOf[k], b] · X[colIdx[k], b]
;; dY and X row-major with `batch` columns, batch % 4 == 0, arrays 16-byte
;; aligned; offsets are byte offsets. Four f32 lanes summed at the end in
;; the GPU kernel's order ((x + y) + z) + w.
;;
;; Entries go four at a time, each with its own accumulator: one entry's dot
;; product is a chain of dependent vector adds (its summation order is fixed
;; above), so a single chain waits on the add's latency every step; four
;; independent chains keep the adder busy; when the four share a row (CSR
;; keeps a row's entries together) its dY values are loaded once for all
;; four. Every entry is summed exactly as alone, so results do not change;
;; the last nnz % 4 go one by one.
(module
  (import "env" "memory" (memory 1))
  (func $finish (param $acc v128) (param $alpha f32) (result f32)
    (f32.mul (local.get $alpha)
      (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                        (f32x4.extract_lane 2 (local.get $acc)))
               (f32x4.extract_lane 3 (local.get $acc)))))
  (func (export "sddmm")
    (param $nnz i32) (param $batch i32) (param $alpha f32)
    (param $rowOf i32) (param $colIdx i32) (param $dy i32) (param $x i32) (param $out i32)
    (local $k i32) (local $row i32) (local $q i32) (local $a i32) (local $b i32) (local $acc v128)
    (local $e i32) (local $groups i32)
    (local $a1 i32) (local $b1 i32) (local $a2 i32) (local $b2 i32) (local $a3 i32) (local $b3 i32)
    (local $acc1 v128) (local $acc2 v128) (local $acc3 v128) (local $va v128)
    (local.set $row (i32.shl (local.get $batch) (i32.const 2)))
    (local.set $groups (i32.and (local.get $nnz) (i32.const -4)))
    (block $groupsDone
      (loop $group
        (br_if $groupsDone (i32.ge_u (local.get $k) (local.get $groups)))
        (local.set $e (i32.shl (local.get $k) (i32.const 2)))
        (local.set $a (i32.add (local.get $dy) (i32.mul (i32.load offset=0 (i32.add (local.get $rowOf) (local.get $e))) (local.get $row))))
        (local.set $a1 (i32.add (local.get $dy) (i32.mul (i32.load offset=4 (i32.add (local.get $rowOf) (local.get $e))) (local.get $row))))
        (local.set $a2 (i32.add (local.get $dy) (i32.mul (i32.load offset=8 (i32.add (local.get $rowOf) (local.get $e))) (local.get $row))))
        (local.set $a3 (i32.add (local.get $dy) (i32.mul (i32.load offset=12 (i32.add (local.get $rowOf) (local.get $e))) (local.get $row))))
        (local.set $b (i32.add (local.get $x) (i32.mul (i32.load offset=0 (i32.add (local.get $colIdx) (local.get $e))) (local.get $row))))
        (local.set $b1 (i32.add (local.get $x) (i32.mul (i32.load offset=4 (i32.add (local.get $colIdx) (local.get $e))) (local.get $row))))
        (local.set $b2 (i32.add (local.get $x) (i32.mul (i32.load offset=8 (i32.add (local.get $colIdx) (local.get $e))) (local.get $row))))
        (local.set $b3 (i32.add (local.get $x) (i32.mul (i32.load offset=12 (i32.add (local.get $colIdx) (local.get $e))) (local.get $row))))
        (local.set $acc (v128.const i32x4 0 0 0 0)) (local.set $acc1 (v128.const i32x4 0 0 0 0))
        (local.set $acc2 (v128.const i32x4 0 0 0 0)) (local.set $acc3 (v128.const i32x4 0 0 0 0))
        (local.set $q (i32.const 0))
        (if (i32.and (i32.and (i32.eq (local.get $a) (local.get $a1)) (i32.eq (local.get $a) (local.get $a2))) (i32.eq (local.get $a) (local.get $a3)))
          (then
            ;; four entries of one row (CSR keeps a row's entries together): its dY row is loaded once per step
            (block $sharedDone
              (loop $shared
                (br_if $sharedDone (i32.ge_u (local.get $q) (local.get $row)))
                (local.set $va (v128.load (i32.add (local.get $a) (local.get $q))))
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $va) (v128.load (i32.add (local.get $b) (local.get $q))))))
                (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $va) (v128.load (i32.add (local.get $b1) (local.get $q))))))
                (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $va) (v128.load (i32.add (local.get $b2) (local.get $q))))))
                (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $va) (v128.load (i32.add (local.get $b3) (local.get $q))))))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (br $shared))))
          (else
            (block $dotsDone
              (loop $dots
                (br_if $dotsDone (i32.ge_u (local.get $q) (local.get $row)))
                (local.set $acc (f32x4.add (local.get $acc)
                  (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $q))) (v128.load (i32.add (local.get $b) (local.get $q))))))
                (local.set $acc1 (f32x4.add (local.get $acc1)
                  (f32x4.mul (v128.load (i32.add (local.get $a1) (local.get $q))) (v128.load (i32.add (local.get $b1) (local.get $q))))))
                (local.set $acc2 (f32x4.add (local.get $acc2)
                  (f32x4.mul (v128.load (i32.add (local.get $a2) (local.get $q))) (v128.load (i32.add (local.get $b2) (local.get $q))))))
                (local.set $acc3 (f32x4.add (local.get $acc3)
                  (f32x4.mul (v128.load (i32.add (local.get $a3) (local.get $q))) (v128.load (i32.add (local.get $b3) (local.get $q))))))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (br $dots)))))
        (local.set $e (i32.add (local.get $out) (local.get $e)))
        (f32.store offset=0 (local.get $e) (call $finish (local.get $acc) (local.get $alpha)))
        (f32.store offset=4 (local.get $e) (call $finish (local.get $acc1) (local.get $alpha)))
        (f32.store offset=8 (local.get $e) (call $finish (local.get $acc2) (local.get $alpha)))
        (f32.store offset=12 (local.get $e) (call $finish (local.get $acc3) (local.get $alpha)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $group)))
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
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 2))) (call $finish (local.get $acc) (local.get $alpha)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $entries)))))
