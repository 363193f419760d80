#!/usr/bin/env bash
# build.sh: build, cache, verify and install wasmplay's guest runtimes.
# See docs/RUNTIMES.md for the whole story.
#
#   build.sh all                 make bin/ up to date: python and javascript
#   build.sh python|javascript   the same for one runtime
#   build.sh status              what bin/ holds and what is wrong (make runtimes-status)
#   build.sh packages [NAME...]  pure-Python packages for the guest Python, from Debian's
#                                python3-* packages: the default set, earlier additions
#                                and NAMEs (make packages; wasmplay packages add NAME)
#   build.sh packages-remove NAME...  drop earlier additions (wasmplay packages remove NAME)
#   build.sh refresh             update the apt indexes, then rebuild what a newer
#                                Debian version changes (all never looks for one)
#   build.sh clean-cache         delete the cache: builds, sources, private apt state
#   build.sh bench-variants DIR  build the variants measured in docs/BENCHMARKS.md
#   build.sh quickjs-patch-start DIR / quickjs-patch-save DIR
#                                refresh quickjs-wasi.patch for a new QuickJS version
#
# Environment: XDG_CACHE_HOME (cache location), WASMPLAY_BIN_DIR (instead of
# <repo>/bin), WASMPLAY_DEBIAN_MIRROR (instead of http://deb.debian.org/debian).
set -Eeuo pipefail
shopt -s inherit_errexit

BUILD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BUILD_DIR/../.." && pwd)
BIN_DIR=$(realpath -m "${WASMPLAY_BIN_DIR:-$REPO_DIR/bin}")
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/wasmplay/runtimes
SOURCES_DIR=$CACHE_ROOT/sources
LOG_DIR=$CACHE_ROOT/logs
JOBS=$(nproc)
RUNTIMES=(python javascript)
# How many builds of one runtime the cache keeps (the newest).
CACHE_KEEP=3

# shellcheck source=lib.sh
source "$BUILD_DIR/lib.sh"
trap on_unexpected_error ERR
# shellcheck source=debian.sh
source "$BUILD_DIR/debian.sh"
# shellcheck source=toolchain.sh
source "$BUILD_DIR/toolchain.sh"
# shellcheck source=python.sh
source "$BUILD_DIR/python.sh"
# shellcheck source=quickjs.sh
source "$BUILD_DIR/quickjs.sh"
# shellcheck source=packages.sh
source "$BUILD_DIR/packages.sh"

# --- the Go side: manifest, checks, smoke runs (cmd/buildtool) --------------------

# BUILDTOOL is the compiled cmd/buildtool of this clone (in the cache,
# named after the clone's path), rebuilt by require_buildtool when stale.
BUILDTOOL="$CACHE_ROOT/tool/buildtool-$(printf '%s' "$REPO_DIR" | sha256sum | cut -c1-12)"

# require_buildtool builds BUILDTOOL (about 0.1 s when it is up to date).
# Not `go run`: that prints "exit status 1" whenever the tool says no.
require_buildtool() {
	command -v go >/dev/null 2>&1 ||
		die "the Go toolchain is not on PATH (go.mod needs Go 1.26). Install Go, then: make runtimes"
	mkdir -p "$(dirname "$BUILDTOOL")"
	(cd "$REPO_DIR" && go build -o "$BUILDTOOL" ./cmd/buildtool) ||
		die "could not compile cmd/buildtool (see above). Fix it, then: make runtimes"
}

# buildtool ARGS... runs cmd/buildtool (see require_buildtool).
buildtool() {
	(cd "$REPO_DIR" && "$BUILDTOOL" "$@")
}

# --- inputs and cache keys --------------------------------------------------------------

# The Debian source packages of each runtime, the main one first. Both
# also use trixie's wasi-libc (a binary package).
declare -A RUNTIME_SOURCES=([python]="python3.13 zlib sqlite3" [javascript]="quickjs")

# INPUTS[RUNTIME] holds "PACKAGE VERSION" lines (set by resolve_inputs): the
# main source package first, then the other sources, then wasi-libc.
declare -A INPUTS=()

# resolve_inputs RUNTIME... sets INPUTS for the runtimes, asking apt once for
# all their source packages and once for wasi-libc.
resolve_inputs() {
	local rt pkg sources wasi_libc lines
	local -a pkgs=() more
	for rt in "$@"; do
		read -ra more <<<"${RUNTIME_SOURCES[$rt]}"
		pkgs+=("${more[@]}")
	done
	sources=$(source_versions "${pkgs[@]}")
	wasi_libc=$(binary_versions wasi-libc)
	for rt in "$@"; do
		lines=""
		for pkg in ${RUNTIME_SOURCES[$rt]}; do
			lines+=$(printf '%s\n' "$sources" | awk -v p="$pkg" '$1 == p')$'\n'
		done
		INPUTS[$rt]="$lines$wasi_libc"
	done
}

# cache_key RECIPE_HASH INPUTS prints the 16 hex digits naming one build.
cache_key() {
	printf 'recipe %s\n%s\n' "$1" "$2" | sha256sum | cut -c1-16
}

# cache_entry_dir RUNTIME INPUTS KEY prints the cache directory of one build.
cache_entry_dir() {
	local main_version
	main_version=$(printf '%s\n' "$2" | awk 'NR == 1 { print $2 }')
	printf '%s/%s/%s-%s\n' "$CACHE_ROOT" "$1" "${main_version//[^A-Za-z0-9.+~_-]/_}" "$3"
}

# input_version INPUTS PACKAGE prints PACKAGE's version from INPUTS.
input_version() {
	printf '%s\n' "$1" | awk -v p="$2" '$1 == p { print $2 }'
}

# prune_cache RUNTIME keeps the CACHE_KEEP newest builds of RUNTIME.
prune_cache() {
	local dir="$CACHE_ROOT/$1" old
	[ -d "$dir" ] || return 0
	# shellcheck disable=SC2012 # names are ours: version-key, no newlines
	ls -1dt "$dir"/*/ 2>/dev/null | tail -n +"$((CACHE_KEEP + 1))" | while read -r old; do
		note "pruning old cache entry $old"
		rm -rf "$old"
	done
}

# --- building one runtime ---------------------------------------------------------------

# build_into_cache RUNTIME INPUTS RECIPE KEY ENTRY_DIR builds RUNTIME in a
# work directory under the cache, verifies it (structure and a smoke run),
# writes its entry.json, and only then renames it into ENTRY_DIR.
build_into_cache() {
	local rt=$1 inputs=$2 recipe=$3 key=$4 entry_dir=$5 started work
	started=$(date +%s)
	note "building $rt (cache key $key; logs in $LOG_DIR/$rt)"
	ensure_host_packages "${HOST_PACKAGES[@]}"

	# A fixed path (the lock makes it ours): paths end up in the build (for
	# one, in Python's _sysconfigdata), so the same path keeps rebuilds
	# byte-identical.
	work="$CACHE_ROOT/tmp/build-$rt"
	rm -rf "$work" && mkdir -p "$work"
	# shellcheck disable=SC2064 # expand now: the trap must remove this directory
	trap "rm -rf '$work'" EXIT
	local LOG_DIR="$CACHE_ROOT/logs/$rt" STEPS_FILE="$work/steps"
	rm -rf "$LOG_DIR" && mkdir -p "$LOG_DIR"
	: >"$STEPS_FILE"

	local wasi_deb out="$work/out" args=()
	wasi_deb=$(fetch_binary_package "$SOURCES_DIR" wasi-libc "$(input_version "$inputs" wasi-libc)")
	setup_wasi_toolchain "$work/toolchain" "$wasi_deb"
	case $rt in
	python)
		local py zlib sqlite
		py=$(fetch_orig_tarball "$SOURCES_DIR" python3.13 "$(input_version "$inputs" python3.13)")
		zlib=$(fetch_orig_tarball "$SOURCES_DIR" zlib "$(input_version "$inputs" zlib)")
		sqlite=$(fetch_orig_tarball "$SOURCES_DIR" sqlite3 "$(input_version "$inputs" sqlite3)")
		build_python "$work" "$out" "$py" "$zlib" "$sqlite"
		args+=(-orig "$py" -artifact python/python.wasm -artifact python/python-reactor.wasm)
		case $PY_STDLIB_LAYOUT in
		zip) args+=(-artifact python/lib/python313.zip) ;;
		dir) args+=(-artifact python/lib/python3.13) ;;
		esac
		args+=(-option pymalloc="$PY_PYMALLOC" -option stdlib_layout="$PY_STDLIB_LAYOUT")
		if [ "$PY_STDLIB_LAYOUT" = zip ]; then
			args+=(-option zip_compression="$PY_ZIP_COMPRESSION")
		fi
		;;
	javascript)
		local qjs
		qjs=$(fetch_orig_tarball "$SOURCES_DIR" quickjs "$(input_version "$inputs" quickjs)")
		build_quickjs "$work" "$out" "$qjs" "$(input_version "$inputs" quickjs)"
		args+=(-orig "$qjs" -artifact qjs.wasm -artifact qjs-reactor.wasm)
		;;
	esac

	run_step verify buildtool verify-build -dir "$out" "$rt"
	local input
	while read -r input; do
		args+=(-input "${input/ /=}")
	done <<<"$inputs"
	buildtool entry -dir "$out" -runtime "$rt" "${args[@]}" \
		-recipe-hash "$recipe" -cache-key "$key" -suite "$SOURCE_SUITE" \
		-clang "$(clang_version)" -started "$started" -seconds "$(seconds_since "$started")" \
		-steps "$STEPS_FILE" ||
		die "could not write the manifest entry for $rt. Run again: make runtimes"

	mkdir -p "$(dirname "$entry_dir")"
	rm -rf "$entry_dir"
	mv "$out" "$entry_dir"
	rm -rf "$work"
	trap - EXIT
	note "built $rt in $(seconds_since "$started")s: $entry_dir"
	prune_cache "$rt"
}

# ensure_runtime RUNTIME puts the build of RUNTIME for the current recipe
# and Debian versions into bin/: from the cache when it is there, else by
# building it.
ensure_runtime() {
	local rt=$1 recipe inputs=${INPUTS[$1]} key entry_dir
	recipe=$(buildtool recipe-hash "$rt")
	key=$(cache_key "$recipe" "$inputs")
	if buildtool uptodate -q -bin "$BIN_DIR" -cache-key "$key" "$rt"; then
		note "$rt: up to date (cache key $key)"
		return 0
	fi
	entry_dir=$(cache_entry_dir "$rt" "$inputs" "$key")
	if [ -f "$entry_dir/entry.json" ] && buildtool verify-entry "$entry_dir"; then
		note "$rt: restoring from the cache: $entry_dir"
	else
		if [ -e "$entry_dir" ]; then
			note "$rt: the cache entry $entry_dir is incomplete or corrupt: rebuilding"
		fi
		build_into_cache "$rt" "$inputs" "$recipe" "$key" "$entry_dir"
	fi
	buildtool install -bin "$BIN_DIR" -entry "$entry_dir" ||
		die "could not install $rt into $BIN_DIR from $entry_dir. Clear that entry with: rm -rf $entry_dir, then: make runtimes"
}

# --- commands ---------------------------------------------------------------------------

# take_lock waits for any other build using this cache to finish.
take_lock() {
	mkdir -p "$CACHE_ROOT"
	exec 9>"$CACHE_ROOT/.lock"
	if ! flock -n 9; then
		note "another build holds $CACHE_ROOT/.lock: waiting for it"
		flock 9
	fi
	# Leftovers of builds that were killed: nobody else can be using them now.
	rm -rf "$CACHE_ROOT/tmp"
	mkdir -p "$LOG_DIR"
}

# cmd_build MODE RUNTIME... makes bin/ up to date for the runtimes. MODE
# "fast" trusts a bin/ whose manifest matches the recipe and the files;
# "refresh" also compares the Debian versions from freshly updated indexes.
cmd_build() {
	local mode=$1 rt
	shift
	require_buildtool
	if [ "$mode" = fast ] && buildtool uptodate -q -bin "$BIN_DIR" "$@"; then
		note "bin/ is up to date ($*)"
		return 0
	fi
	take_lock
	if [ "$mode" = refresh ]; then
		update_system_source_index
		update_private_index
	fi
	local -a todo=()
	for rt in "$@"; do
		if [ "$mode" = fast ] && buildtool uptodate -q -bin "$BIN_DIR" "$rt"; then
			continue
		fi
		todo+=("$rt")
	done
	if [ ${#todo[@]} -gt 0 ]; then
		resolve_inputs "${todo[@]}"
		for rt in "${todo[@]}"; do
			ensure_runtime "$rt"
		done
	fi
	buildtool status -bin "$BIN_DIR"
}

cmd_clean_cache() {
	take_lock
	note "removing $CACHE_ROOT (builds, sources, private apt state)"
	rm -rf "${CACHE_ROOT:?}"/*
	note "done. The apt source entry stays: $SYSTEM_SOURCES_FILE (remove it, then apt-get update, to undo)"
}

# cmd_bench_variants DIR builds what docs/BENCHMARKS.md measures: CPython
# with and without pymalloc, wasm-opt -O2 of one, and the stdlib layouts.
cmd_bench_variants() {
	local dir=${1:?usage: build.sh bench-variants DIR}
	require_buildtool
	take_lock
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	ensure_host_packages "${HOST_PACKAGES[@]}" binaryen
	LOG_DIR="$dir/logs"
	mkdir -p "$LOG_DIR"
	STEPS_FILE="$dir/steps"
	: >"$STEPS_FILE"
	local inputs work="$dir/work" py zlib sqlite wasi_deb
	resolve_inputs python
	inputs=${INPUTS[python]}
	wasi_deb=$(fetch_binary_package "$SOURCES_DIR" wasi-libc "$(input_version "$inputs" wasi-libc)")
	py=$(fetch_orig_tarball "$SOURCES_DIR" python3.13 "$(input_version "$inputs" python3.13)")
	zlib=$(fetch_orig_tarball "$SOURCES_DIR" zlib "$(input_version "$inputs" zlib)")
	sqlite=$(fetch_orig_tarball "$SOURCES_DIR" sqlite3 "$(input_version "$inputs" sqlite3)")
	rm -rf "$work" && mkdir -p "$work"
	setup_wasi_toolchain "$work/toolchain" "$wasi_deb"

	run_step unpack python_unpack "$work" "$py" "$zlib" "$sqlite"
	run_step native-python python_build_native "$work"
	run_step zlib python_build_zlib "$work"
	run_step sqlite3 python_build_sqlite "$work"
	run_step wasi-python-pymalloc python_build_wasi "$work" pymalloc yes
	run_step wasi-python-nopymalloc python_build_wasi "$work" nopymalloc no
	local v
	for v in pymalloc nopymalloc; do
		cp "$work/inst-$v/usr/local/bin/python3.13.wasm" "$dir/python-$v-as-built.wasm"
		run_step "strip-$v" python_finish_wasm "$dir/python-$v-as-built.wasm" "$dir/python-$v.wasm"
	done
	# wasm-opt reads the features to allow from the binary's target_features section.
	run_step wasm-opt-O2 wasm-opt -O2 "$dir/python-pymalloc.wasm" -o "$dir/python-pymalloc-O2.wasm"
	run_step lib-zip-stored python_pack_stdlib "$work" "$work/inst-pymalloc" "$dir/lib-zip-stored" zip stored
	run_step lib-zip-deflated python_pack_stdlib "$work" "$work/inst-pymalloc" "$dir/lib-zip-deflated" zip deflated
	run_step lib-zip-stored-full python_pack_stdlib "$work" "$work/inst-pymalloc" "$dir/lib-zip-stored-full" zip stored --keep-all
	run_step lib-dir python_pack_stdlib "$work" "$work/inst-pymalloc" "$dir/lib-dir" dir stored
	note "variants ready in $dir; measure them with: go run ./cmd/buildtool bench -variants $dir"
}

# cmd_quickjs_patch_start DIR unpacks the current quickjs source twice:
# DIR/a (pristine) and DIR/b (with as much of the patch as applies; see
# the .rej files), to make the patch apply again.
cmd_quickjs_patch_start() {
	local dir=${1:?usage: build.sh quickjs-patch-start DIR} inputs orig
	mkdir -p "$dir" "$LOG_DIR"
	inputs=$(source_versions quickjs)
	orig=$(fetch_orig_tarball "$SOURCES_DIR" quickjs "$(input_version "$inputs" quickjs)")
	rm -rf "$dir/a" "$dir/b"
	mkdir -p "$dir/a" "$dir/b"
	tar -xf "$orig" -C "$dir/a" --strip-components=1
	tar -xf "$orig" -C "$dir/b" --strip-components=1
	patch -d "$dir/b" -p1 --batch --forward <"$BUILD_DIR/$QJS_PATCH_NAME" ||
		note "some hunks did not apply: fix them in $dir/b (see $dir/b/*.rej)"
	note "edit $dir/b, then run: runtimes/build/build.sh quickjs-patch-save $dir"
}

# cmd_quickjs_patch_save DIR rewrites the patch from DIR/a and DIR/b,
# keeping its explanatory header.
cmd_quickjs_patch_save() {
	local dir=${1:?usage: build.sh quickjs-patch-save DIR} new f
	if [ ! -d "$dir/a" ] || [ ! -d "$dir/b" ]; then
		die "$dir has no a/ and b/: run first: runtimes/build/build.sh quickjs-patch-start $dir"
	fi
	new=$(mktemp)
	sed -n '/^--- a\//q;p' "$BUILD_DIR/$QJS_PATCH_NAME" >"$new"
	for f in $(cd "$dir/b" && find . -name '*.c' -o -name '*.h' | sed 's|^\./||' | sort); do
		diff -u --label "a/$f" --label "b/$f" "$dir/a/$f" "$dir/b/$f" >>"$new" || [ $? -eq 1 ]
	done
	mv "$new" "$BUILD_DIR/$QJS_PATCH_NAME"
	note "wrote $BUILD_DIR/$QJS_PATCH_NAME; now run: make runtimes"
}

# usage prints the comment at the top of this file.
usage() {
	awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"
}

main() {
	local cmd=${1:-all}
	[ $# -gt 0 ] && shift
	case $cmd in
	all) cmd_build fast "${RUNTIMES[@]}" ;;
	python | javascript) cmd_build fast "$cmd" ;;
	refresh) cmd_build refresh "${RUNTIMES[@]}" ;;
	status)
		require_buildtool
		cd "$REPO_DIR" && exec "$BUILDTOOL" status -bin "$BIN_DIR"
		;;
	packages) cmd_packages "$@" ;;
	packages-remove) cmd_packages_remove "$@" ;;
	clean-cache) cmd_clean_cache ;;
	bench-variants) cmd_bench_variants "$@" ;;
	quickjs-patch-start) cmd_quickjs_patch_start "$@" ;;
	quickjs-patch-save) cmd_quickjs_patch_save "$@" ;;
	help | -h | --help) usage ;;
	*)
		usage >&2
		die "unknown command '$cmd' (see the list above)"
		;;
	esac
}

main "$@"
