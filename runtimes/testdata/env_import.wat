;; A command that also needs host functions from "env" (an Emscripten-style
;; import) and imports its memory from there.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "env" "log" (func (param i32)))
  (import "env" "memory" (memory 1))
  (export "memory" (memory 0))
  (func (export "_start")))
