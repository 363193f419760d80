# wasmplay — a terminal playground for code you do not trust.
#
#   make run       build what is missing (runtimes, binary), then open the app
#   make test      build what is missing, then run every test
#   make runtimes  build (or restore from the cache) the guest runtimes in bin/
#   make bench     measure, and write docs/BENCHMARKS.md
#
# Guest runtimes are built from Debian source packages; see README.md.

SHELL := /bin/bash
GO ?= go
BIN := wasmplay

.PHONY: all build run test e2e runtimes packages runtimes-status bench vet fmt clean

all: build

## runtimes: build CPython and QuickJS for WASI into bin/ (cached by source version and recipe hash)
runtimes:
	@runtimes/build/build.sh all

## packages: pure-Python packages for the guest Python, from Debian's python3-* packages
packages: runtimes
	@runtimes/build/build.sh packages

## runtimes-status: print the manifest and say what is missing
runtimes-status:
	@runtimes/build/build.sh status

## build: the wasmplay binary
build:
	$(GO) build -o $(BIN) .

## run: open the app (builds what is missing first)
run: runtimes packages build
	./$(BIN)

## test: every test against the real runtimes (a missing runtime fails,
## never skips), the race detector on the runner, and the end-to-end check
test: runtimes packages build
	$(GO) vet ./...
	WASMPLAY_REQUIRE_RUNTIMES=1 $(GO) test -count=1 -timeout 45m ./...
	WASMPLAY_REQUIRE_RUNTIMES=1 $(GO) test -race -count=1 -timeout 20m ./runner/... ./sandbox/... ./workers/... ./playground/...
	.ci/e2e.sh ./$(BIN)

## e2e: the real app in tmux: type, run, see output, fuel and files; cancel a loop
e2e: runtimes packages build
	.ci/e2e.sh ./$(BIN)

## bench: benchmarks; figures go to docs/BENCHMARKS.md
bench: runtimes packages build
	$(GO) run ./cmd/benchreport -out docs/BENCHMARKS.md

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w .

clean:
	rm -f $(BIN)
