;; A minimal WASI preview1 command: imports only from wasi_snapshot_preview1,
;; exports the function _start and the memory "memory".
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2 16)
  (func (export "_start")
    (call $proc_exit (i32.const 0))))
