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

.PHONY: all build run test e2e runtimes packages runtimes-status mcp-clients bench-peers bench vet fmt clean

# The real MCP clients the tests drive (from npm, pinned in the lock file).
CLIENTS := mcpserver/testdata/clients

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

## mcp-clients: the MCP Inspector and TypeScript SDK the tests drive
## `wasmplay mcp` with (npm ci from the lock file; node from apt if missing)
mcp-clients: $(CLIENTS)/node_modules/.installed

$(CLIENTS)/node_modules/.installed: $(CLIENTS)/package.json $(CLIENTS)/package-lock.json
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q nodejs npm >/dev/null; } || \
		{ echo "mcp-clients: node and npm are needed: sudo apt-get install nodejs npm" >&2; exit 1; }
	cd $(CLIENTS) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

## bench-peers: Pyodide and quickjs-emscripten, the interpreters `make bench`
## compares CPU-bound code with (npm ci from the lock file)
PEERS := cmd/benchreport/peers
bench-peers: $(PEERS)/node_modules/.installed

$(PEERS)/node_modules/.installed: $(PEERS)/package.json $(PEERS)/package-lock.json
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q nodejs npm >/dev/null; } || \
		{ echo "bench-peers: node and npm are needed: sudo apt-get install nodejs npm" >&2; exit 1; }
	cd $(PEERS) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

## build: the wasmplay binary
build:
	$(GO) build -o $(BIN) .

## run: open the app (builds what is missing first)
run: runtimes packages build
	./$(BIN)

## test: every test against the real runtimes (a missing runtime fails,
## never skips), the race detector on the runner, and the end-to-end check
test: runtimes packages mcp-clients build
	$(GO) vet ./...
	WASMPLAY_REQUIRE_RUNTIMES=1 $(GO) test -count=1 -timeout 45m ./...
	WASMPLAY_REQUIRE_RUNTIMES=1 $(GO) test -race -count=1 -timeout 20m ./runner/... ./sandbox/... ./workers/... ./playground/... ./batch/...
	.ci/e2e.sh ./$(BIN)

## e2e: the real app in tmux: type, run, see output, fuel and files; cancel a loop
e2e: runtimes packages mcp-clients build
	.ci/e2e.sh ./$(BIN)

## bench: benchmarks; figures go to docs/BENCHMARKS.md
bench: runtimes packages mcp-clients bench-peers build
	$(GO) run ./cmd/benchreport -out docs/BENCHMARKS.md

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w .

clean:
	rm -f $(BIN)
