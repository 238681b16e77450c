;; The CPU backend's sparse scatter with 128-bit SIMD, the transpose product
;; of a matrix stored by rows (N:M's dX = Wᵀ·dY without a transpose index):
;;   for each row r and entry k in ptr[r] .. ptr[r+1]:  Y[idx[k], :] += values[k] · X[r, :]
;; X (rows × batch) and Y (outRows × batch) row-major, batch % 4 == 0, arrays
;; 16-byte aligned; offsets are byte offsets. Y is zeroed here first. Sums are
;; f32, accumulated in row order.
(module
  (import "env" "memory" (memory 1))
  (func (export "scatter")
    (param $rows i32) (param $outRows i32) (param $batch i32)
    (param $ptr i32) (param $idx i32) (param $values i32) (param $x i32) (param $y i32)
    (local $r i32) (local $k i32) (local $end i32) (local $row i32) (local $q i32)
    (local $v v128) (local $from i32) (local $to i32) (local $bytes i32)
    (local.set $row (i32.shl (local.get $batch) (i32.const 2)))
    ;; zero Y
    (local.set $bytes (i32.mul (local.get $outRows) (local.get $row)))
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
            (local.set $v (v128.load32_splat (i32.add (local.get $values) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $to (i32.add (local.get $y) (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))) (local.get $row))))
            (local.set $q (i32.const 0))
            (block $qDone
              (loop $qLoop
                (br_if $qDone (i32.ge_u (local.get $q) (local.get $row)))
                (v128.store (i32.add (local.get $to) (local.get $q))
                  (f32x4.add
                    (v128.load (i32.add (local.get $to) (local.get $q)))
                    (f32x4.mul (local.get $v) (v128.load (i32.add (local.get $from) (local.get $q))))))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (br $qLoop)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $entryLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop)))))
