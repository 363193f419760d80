(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  ;; Writes 2048 blocks of 64 KiB of 'y' (128 MiB) to stdout, then returns.
  (func (export "_start")
    (local $left i32)
    (local.set $left (i32.const 2048))
    (memory.fill (i32.const 65536) (i32.const 121) (i32.const 65536))
    (i32.store (i32.const 0) (i32.const 65536))
    (i32.store (i32.const 4) (i32.const 65536))
    (loop $more
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $left (i32.sub (local.get $left) (i32.const 1)))
      (br_if $more (i32.gt_u (local.get $left) (i32.const 0))))))
