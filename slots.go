package main

import "runtime"

// defaultSlots is how many runs may be in flight at once by default: one
// per CPU.
func defaultSlots() int { return runtime.NumCPU() }
