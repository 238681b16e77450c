;; The sparse × dense products of the CPU backend (kernels/spmm.ts) with
;; 128-bit SIMD: `gather` (by rows) and `scatter` (the transpose of a matrix
;; stored by rows). Both share the kernels' memory (kernels/wasm/instance.ts).
;;
;; The CPU backend's sparse gather with 128-bit SIMD: for each row r,
;;   Y[r, 0 .. batch) = Σ_k values[k] · X[idx[k], 0 .. batch),  k in ptr[r] .. ptr[r+1]
;; (CSR forward, and Wᵀ through the transpose index with its values already
;; permuted). X and Y are row-major with `batch` columns, batch % 4 == 0, all
;; arrays 16-byte aligned in the kernels' shared memory; offsets are byte offsets.
;; Columns go in chunks of 16 held in four v128 locals (registers) across
;; a row's entries, so the inner loop is one load and one multiply-add per
;; four columns; the rest of the row (batch % 16) accumulates in memory, two
;; entries per pass. Sums are f32, as on the GPU. Four accumulators, not
;; eight: with eight, V8's x64 code (15 usable vector registers) spilled an
;; accumulator and a loaded row to the stack every entry, and the store-load
;; round trip on the accumulator bounded the loop (16-column chunks measured
;; ~20 % faster at batch 64, although the entries are walked twice as often).
;;
;; `gatherPerm` is `gather` with values[perm[k]] in place of values[k] (Wᵀ
;; through the transpose index): it first writes the permuted values of its
;; own entries, ptr[0] .. ptr[rows], into `scratch` (indexed like `values`), so
;; threads given disjoint row ranges write disjoint parts of it.
;;
;; The CPU backend's sparse scatter with 128-bit SIMD, the transpose product
;; of a matrix stored by rows (N:M's dX = Wᵀ·dY without a transpose index):
;;   for each row r and entry k in ptr[r] .. ptr[r+1]:  Y[idx[k], :] += values[k] · X[r, :]
;; X (rows × batch) and Y (outRows × batch) row-major, batch % 4 == 0, arrays
;; 16-byte aligned; offsets are byte offsets. Only output rows lo .. hi are
;; written (zeroed here first; entries of other rows are skipped), so threads
;; given disjoint output ranges never write the same row, and every output
;; row is still summed over all entries in row order, whichever the ranges.
;; Sums are f32.
(module
  (import "env" "memory" (memory 1))
  (func $gather (export "gather")
    (param $rows i32) (param $batch i32)
    (param $ptr i32) (param $idx i32) (param $values i32) (param $x i32) (param $y i32)
    (local $r i32) (local $k i32) (local $end i32) (local $row i32) (local $q i32)
    (local $v0 v128) (local $v1 v128) (local $x0 i32) (local $x1 i32) (local $out i32)
    (local $chunks i32) (local $c i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $row (i32.shl (local.get $batch) (i32.const 2)))
    ;; bytes of the row covered by whole 16-column chunks
    (local.set $chunks (i32.and (local.get $row) (i32.const -64)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $out (i32.add (local.get $y) (i32.mul (local.get $r) (local.get $row))))
        (local.set $end (i32.load (i32.add (local.get $ptr) (i32.shl (i32.add (local.get $r) (i32.const 1)) (i32.const 2)))))
        ;; 16-column chunks in registers
        (local.set $c (i32.const 0))
        (block $chunksDone
          (loop $chunkLoop
            (br_if $chunksDone (i32.ge_u (local.get $c) (local.get $chunks)))
            (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
            (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
            (local.set $k (i32.load (i32.add (local.get $ptr) (i32.shl (local.get $r) (i32.const 2)))))
            (block $entriesDone
              (loop $entryLoop
                (br_if $entriesDone (i32.ge_u (local.get $k) (local.get $end)))
                (local.set $v0 (v128.load32_splat (i32.add (local.get $values) (i32.shl (local.get $k) (i32.const 2)))))
                (local.set $x0 (i32.add (i32.add (local.get $x) (local.get $c))
                  (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))) (local.get $row))))
                (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $v0) (v128.load offset=0 (local.get $x0)))))
                (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $v0) (v128.load offset=16 (local.get $x0)))))
                (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $v0) (v128.load offset=32 (local.get $x0)))))
                (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $v0) (v128.load offset=48 (local.get $x0)))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $entryLoop)))
            (local.set $x0 (i32.add (local.get $out) (local.get $c)))
            (v128.store offset=0 (local.get $x0) (local.get $a0)) (v128.store offset=16 (local.get $x0) (local.get $a1))
            (v128.store offset=32 (local.get $x0) (local.get $a2)) (v128.store offset=48 (local.get $x0) (local.get $a3))
            (local.set $c (i32.add (local.get $c) (i32.const 64)))
            (br $chunkLoop)))
        ;; the rest of the row, [chunks, row) bytes: zero it, then accumulate in memory
        (local.set $q (local.get $chunks))
        (block $zeroDone
          (loop $zeroLoop
            (br_if $zeroDone (i32.ge_u (local.get $q) (local.get $row)))
            (v128.store (i32.add (local.get $out) (local.get $q)) (v128.const i32x4 0 0 0 0))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br $zeroLoop)))
        (local.set $k (i32.load (i32.add (local.get $ptr) (i32.shl (local.get $r) (i32.const 2)))))
        ;; two entries per pass (skipped when the chunks covered the row)
        (if (i32.eq (local.get $chunks) (local.get $row)) (then (local.set $k (local.get $end))))
        (block $pairsDone
          (loop $pairLoop
            (br_if $pairsDone (i32.ge_u (i32.add (local.get $k) (i32.const 1)) (local.get $end)))
            (local.set $v0 (v128.load32_splat (i32.add (local.get $values) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $v1 (v128.load32_splat offset=4 (i32.add (local.get $values) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $x0 (i32.add (local.get $x) (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))) (local.get $row))))
            (local.set $x1 (i32.add (local.get $x) (i32.mul (i32.load offset=4 (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))) (local.get $row))))
            (local.set $q (local.get $chunks))
            (block $qDone
              (loop $qLoop
                (br_if $qDone (i32.ge_u (local.get $q) (local.get $row)))
                (v128.store (i32.add (local.get $out) (local.get $q))
                  (f32x4.add
                    (f32x4.add
                      (v128.load (i32.add (local.get $out) (local.get $q)))
                      (f32x4.mul (local.get $v0) (v128.load (i32.add (local.get $x0) (local.get $q)))))
                    (f32x4.mul (local.get $v1) (v128.load (i32.add (local.get $x1) (local.get $q))))))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (br $qLoop)))
            (local.set $k (i32.add (local.get $k) (i32.const 2)))
            (br $pairLoop)))
        ;; the odd entry out
        (if (i32.lt_u (local.get $k) (local.get $end))
          (then
            (local.set $v0 (v128.load32_splat (i32.add (local.get $values) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $x0 (i32.add (local.get $x) (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))) (local.get $row))))
            (local.set $q (local.get $chunks))
            (block $tailDone
              (loop $tailLoop
                (br_if $tailDone (i32.ge_u (local.get $q) (local.get $row)))
                (v128.store (i32.add (local.get $out) (local.get $q))
                  (f32x4.add
                    (v128.load (i32.add (local.get $out) (local.get $q)))
                    (f32x4.mul (local.get $v0) (v128.load (i32.add (local.get $x0) (local.get $q))))))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (br $tailLoop)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))
  (func (export "gatherPerm")
    (param $rows i32) (param $batch i32)
    (param $ptr i32) (param $idx i32) (param $values i32) (param $perm i32) (param $x i32) (param $y i32) (param $scratch i32)
    (local $k i32) (local $end i32)
    (local.set $k (i32.load (local.get $ptr)))
    (local.set $end (i32.load (i32.add (local.get $ptr) (i32.shl (local.get $rows) (i32.const 2)))))
    (block $done
      (loop $permute
        (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
        (f32.store (i32.add (local.get $scratch) (i32.shl (local.get $k) (i32.const 2)))
          (f32.load (i32.add (local.get $values) (i32.shl (i32.load (i32.add (local.get $perm) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 2)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $permute)))
    (call $gather (local.get $rows) (local.get $batch) (local.get $ptr) (local.get $idx) (local.get $scratch) (local.get $x) (local.get $y)))
  (func (export "scatter")
    (param $rows i32) (param $outRows i32) (param $batch i32)
    (param $ptr i32) (param $idx i32) (param $values i32) (param $x i32) (param $y i32)
    (param $lo i32) (param $hi i32)
    (local $r i32) (local $k i32) (local $end i32) (local $row i32) (local $q i32)
    (local $v v128) (local $from i32) (local $to i32) (local $bytes i32) (local $j i32)
    (local.set $row (i32.shl (local.get $batch) (i32.const 2)))
    ;; zero Y's rows lo .. hi
    (local.set $q (i32.mul (local.get $lo) (local.get $row)))
    (local.set $bytes (i32.mul (local.get $hi) (local.get $row)))
    (block $zeroDone
      (loop $zero
        (br_if $zeroDone (i32.ge_u (local.get $q) (local.get $bytes)))
        (v128.store (i32.add (local.get $y) (local.get $q)) (v128.const i32x4 0 0 0 0))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $zero)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $from (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $row))))
        (local.set $k (i32.load (i32.add (local.get $ptr) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $end (i32.load (i32.add (local.get $ptr) (i32.shl (i32.add (local.get $r) (i32.const 1)) (i32.const 2)))))
        (block $entriesDone
          (loop $entryLoop
            (br_if $entriesDone (i32.ge_u (local.get $k) (local.get $end)))
            (local.set $j (i32.load (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))))
            ;; lo <= j < hi, as one unsigned comparison
            (if (i32.lt_u (i32.sub (local.get $j) (local.get $lo)) (i32.sub (local.get $hi) (local.get $lo)))
              (then
                (local.set $v (v128.load32_splat (i32.add (local.get $values) (i32.shl (local.get $k) (i32.const 2)))))
                (local.set $to (i32.add (local.get $y) (i32.mul (local.get $j) (local.get $row))))
                (local.set $q (i32.const 0))
                (block $qDone
                  (loop $qLoop
                    (br_if $qDone (i32.ge_u (local.get $q) (local.get $row)))
                    (v128.store (i32.add (local.get $to) (local.get $q))
                      (f32x4.add
                        (v128.load (i32.add (local.get $to) (local.get $q)))
                        (f32x4.mul (local.get $v) (v128.load (i32.add (local.get $from) (local.get $q))))))
                    (local.set $q (i32.add (local.get $q) (i32.const 16)))
                    (br $qLoop)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $entryLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop)))))
