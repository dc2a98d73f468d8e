;; Fibonacci as a feedback loop, written by hand against edge-grid ABI v1 (core/abi/README.md).
;;
;; fib([a, b]): emits a on port 0 ("out") and, while b <= 10^15, [b, a + b] on port 1 ("next"), which the
;; flow feeds back into this stage. Integers are unsigned 64-bit. Accepted input: a msgpack array of two
;; non-negative integers, each a positive fixint or uint8/16/32/64; anything else fails the call through
;; grid.fail with a message. Outputs use the smallest msgpack integer form.
(module
  (import "env" "memory" (memory 1))
  (import "grid" "emit" (func $emit (param $port i32) (param $ptr i32) (param $len i32)))
  (import "grid" "fail" (func $fail (param $ptr i32) (param $len i32)))

  ;; The ABI v1 marker: its presence is what counts, not its value.
  (global (export "grid_abi_1") i32 (i32.const 1))

  ;; Failure messages (UTF-8), at fixed addresses below the heap.
  (data (i32.const 16) "fib: expected [a, b], an array of two non-negative integers (fixint or uint8/16/32/64)")
  (data (i32.const 112) "fib: a + b does not fit in 64 bits")
  (data (i32.const 160) "fib: out of memory")

  ;; Largest b for which the sequence goes on: 10^15 stays below 2^53, so JavaScript reads every output exactly.
  (global $limit i64 (i64.const 1000000000000000))

  ;; Bump allocator: everything a call allocates lives until the next call's grid_alloc resets it.
  (global $heap_base i32 (i32.const 1024))
  (global $top (mut i32) (i32.const 1024))

  (func $alloc (param $size i32) (result i32)
    (local $ptr i32)
    (local $end i32)
    (local.set $ptr (global.get $top))
    ;; 8-byte aligned end; a size that wraps around the address space fails like exhaustion does.
    (local.set $end (i32.and (i32.add (i32.add (local.get $ptr) (local.get $size)) (i32.const 7)) (i32.const -8)))
    (if (i32.lt_u (local.get $end) (local.get $ptr)) (then (call $fail (i32.const 160) (i32.const 18)) (unreachable)))
    (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
      (then
        (if (i32.lt_s
              (memory.grow (i32.sub
                (i32.shr_u (i32.add (local.get $end) (i32.const 0xffff)) (i32.const 16))
                (memory.size)))
              (i32.const 0))
          (then (call $fail (i32.const 160) (i32.const 18)) (unreachable)))))
    (global.set $top (local.get $end))
    (local.get $ptr))

  ;; Called by the host before every call: starts a fresh heap, then holds `size` input bytes.
  (func (export "grid_alloc") (param $size i32) (result i32)
    (global.set $top (global.get $heap_base))
    (call $alloc (local.get $size)))

  (func $bad_input
    (call $fail (i32.const 16) (i32.const 86))
    (unreachable))

  ;; Decoder position, advanced by $read_uint.
  (global $pos (mut i32) (i32.const 0))

  ;; Reads one non-negative msgpack integer at $pos (not past $end).
  (func $read_uint (param $end i32) (result i64)
    (local $tag i32)
    (local $n i32)
    (local $v i64)
    (if (i32.ge_u (global.get $pos) (local.get $end)) (then (call $bad_input)))
    (local.set $tag (i32.load8_u (global.get $pos)))
    (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
    (if (i32.lt_u (local.get $tag) (i32.const 0x80)) (then (return (i64.extend_i32_u (local.get $tag)))))
    (block $known
      (if (i32.eq (local.get $tag) (i32.const 0xcc)) (then (local.set $n (i32.const 1)) (br $known)))
      (if (i32.eq (local.get $tag) (i32.const 0xcd)) (then (local.set $n (i32.const 2)) (br $known)))
      (if (i32.eq (local.get $tag) (i32.const 0xce)) (then (local.set $n (i32.const 4)) (br $known)))
      (if (i32.eq (local.get $tag) (i32.const 0xcf)) (then (local.set $n (i32.const 8)) (br $known)))
      (call $bad_input))
    (if (i32.gt_u (local.get $n) (i32.sub (local.get $end) (global.get $pos))) (then (call $bad_input)))
    ;; Big-endian: shift in one byte at a time.
    (loop $bytes
      (local.set $v (i64.or
        (i64.shl (local.get $v) (i64.const 8))
        (i64.extend_i32_u (i32.load8_u (global.get $pos)))))
      (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $bytes (local.get $n)))
    (local.get $v))

  ;; Writes $v at $p in the smallest msgpack form; returns the address after it.
  (func $write_uint (param $p i32) (param $v i64) (result i32)
    (local $n i32)
    (local $after i32)
    (if (i64.lt_u (local.get $v) (i64.const 0x80))
      (then
        (i64.store8 (local.get $p) (local.get $v))
        (return (i32.add (local.get $p) (i32.const 1)))))
    (if (i64.le_u (local.get $v) (i64.const 0xff))
      (then (i32.store8 (local.get $p) (i32.const 0xcc)) (local.set $n (i32.const 1)))
      (else (if (i64.le_u (local.get $v) (i64.const 0xffff))
        (then (i32.store8 (local.get $p) (i32.const 0xcd)) (local.set $n (i32.const 2)))
        (else (if (i64.le_u (local.get $v) (i64.const 0xffffffff))
          (then (i32.store8 (local.get $p) (i32.const 0xce)) (local.set $n (i32.const 4)))
          (else (i32.store8 (local.get $p) (i32.const 0xcf)) (local.set $n (i32.const 8))))))))
    ;; Big-endian: the lowest byte goes last, so fill from the end back to just after the tag.
    (local.set $after (i32.add (i32.add (local.get $p) (i32.const 1)) (local.get $n)))
    (local.set $p (i32.sub (local.get $after) (i32.const 1)))
    (loop $bytes
      (i64.store8 (local.get $p) (local.get $v))
      (local.set $v (i64.shr_u (local.get $v) (i64.const 8)))
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $bytes (local.get $n)))
    (local.get $after))

  (func (export "fib") (param $ptr i32) (param $len i32)
    (local $end i32)
    (local $a i64)
    (local $b i64)
    (local $sum i64)
    (local $out i32)
    (local $at i32)
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (if (i32.eqz (local.get $len)) (then (call $bad_input)))
    (if (i32.ne (i32.load8_u (local.get $ptr)) (i32.const 0x92)) (then (call $bad_input)))
    (global.set $pos (i32.add (local.get $ptr) (i32.const 1)))
    (local.set $a (call $read_uint (local.get $end)))
    (local.set $b (call $read_uint (local.get $end)))
    (if (i32.ne (global.get $pos) (local.get $end)) (then (call $bad_input)))

    ;; One scratch buffer for both outputs: at most 1 + 9 + 9 bytes.
    (local.set $out (call $alloc (i32.const 32)))
    (call $emit (i32.const 0) (local.get $out)
      (i32.sub (call $write_uint (local.get $out) (local.get $a)) (local.get $out)))

    (if (i64.le_u (local.get $b) (global.get $limit))
      (then
        (local.set $sum (i64.add (local.get $a) (local.get $b)))
        (if (i64.lt_u (local.get $sum) (local.get $a))
          (then (call $fail (i32.const 112) (i32.const 34)) (unreachable)))
        (i32.store8 (local.get $out) (i32.const 0x92))
        (local.set $at (call $write_uint (i32.add (local.get $out) (i32.const 1)) (local.get $b)))
        (local.set $at (call $write_uint (local.get $at) (local.get $sum)))
        (call $emit (i32.const 1) (local.get $out) (i32.sub (local.get $at) (local.get $out))))))
)
