;; A reactor the runner could snapshot: _initialize, wasmplay_init and
;; wasmplay_run, an exported memory, only WASI imports.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_initialize"))
  (func (export "wasmplay_init") (result i32) (i32.const 0))
  (func (export "wasmplay_run") (call $proc_exit (i32.const 0))))
