;; A command without any memory.
(module
  (func (export "_start")))
