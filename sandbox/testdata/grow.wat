(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $got i32)
    (block $done
      (loop $more
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (local.set $got (i32.add (local.get $got) (i32.const 1)))
        (br $more)))
    (call $proc_exit (local.get $got))))
