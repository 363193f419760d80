;; A command whose memory is exported under another name.
(module
  (memory (export "mem") 1)
  (func (export "_start")))
