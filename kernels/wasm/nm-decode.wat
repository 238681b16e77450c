;; The column of every slot of an N:M matrix, decoded from its packed
;; in-group positions straight into the CPU kernels' shared memory, so the N:M
;; products index X exactly as CSR does without a decode in JavaScript and a
;; copy of its result (4 bytes per slot) into this memory.
;;   out[k] = (group of slot k) · m + (position field k of `packed`)
;; Fields are log2(m) bits, 32 / log2(m) to a word (slots never straddle
;; words); groups run along a row (cols / m of them), rows follow each other.
(module
  (import "env" "memory" (memory 1))
  (func (export "slotColumns")
    (param $packed i32) (param $nnz i32) (param $n i32) (param $m i32) (param $bits i32) (param $cols i32) (param $out i32)
    (local $k i32) (local $end i32) (local $perWord i32) (local $mask i32)
    (local $word i32) (local $t i32) (local $groupBase i32)
    (local.set $perWord (i32.div_u (i32.const 32) (local.get $bits)))
    (local.set $mask (i32.sub (local.get $m) (i32.const 1)))
    (block $wordsDone
      (loop $words
        (br_if $wordsDone (i32.ge_u (local.get $k) (local.get $nnz)))
        (local.set $word (i32.load (local.get $packed)))
        (local.set $packed (i32.add (local.get $packed) (i32.const 4)))
        (local.set $end (i32.add (local.get $k) (local.get $perWord)))
        (if (i32.gt_u (local.get $end) (local.get $nnz)) (then (local.set $end (local.get $nnz))))
        (block $fieldsDone
          (loop $fields
            (br_if $fieldsDone (i32.ge_u (local.get $k) (local.get $end)))
            (i32.store
              (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 2)))
              (i32.add (local.get $groupBase) (i32.and (local.get $word) (local.get $mask))))
            (local.set $word (i32.shr_u (local.get $word) (local.get $bits)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (if (i32.eq (local.get $t) (local.get $n))
              (then
                (local.set $t (i32.const 0))
                (local.set $groupBase (i32.add (local.get $groupBase) (local.get $m)))
                (if (i32.eq (local.get $groupBase) (local.get $cols)) (then (local.set $groupBase (i32.const 0))))))
            (br $fields)))
        (br $words)))))
