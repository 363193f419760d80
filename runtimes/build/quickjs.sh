# shellcheck shell=bash
# quickjs.sh: the recipe for bin/qjs.wasm — QuickJS (trixie's quickjs source
# package, pristine orig tarball) as a WASI preview1 command with its std and
# os modules, patched by quickjs-wasi.patch (__wasi__ guards only).
#
# The QuickJS recipe hash covers this file, toolchain.sh and the patch.
# Needs (from build.sh): lib.sh and toolchain.sh sourced, setup_wasi_toolchain
# done, JOBS, BUILD_DIR (this directory).

QJS_PATCH_NAME=quickjs-wasi.patch

# The objects of qjs (QJS_OBJS in QuickJS's Makefile).
QJS_UNITS=(quickjs dtoa libregexp libunicode cutils quickjs-libc qjs repl)

# As QuickJS's Makefile compiles them (-O2 -fwrapv -funsigned-char
# -D_GNU_SOURCE), plus the WASI emulations quickjs-libc needs (signal(),
# clock()).
QJS_CFLAGS=(-O2 -fwrapv -funsigned-char -D_GNU_SOURCE -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS)

# A command (_start), an 8 MiB stack placed first in memory (an overflow
# traps instead of corrupting data; QuickJS's own stack limit is 1 MiB).
# shellcheck disable=SC2054 # the commas belong to -Wl,
QJS_LDFLAGS=(-mexec-model=command -Wl,--stack-first -Wl,-z,stack-size=8388608)
QJS_LIBS=(-lm -lwasi-emulated-signal -lwasi-emulated-process-clocks)

# quickjs_unpack WORK ORIG unpacks the orig tarball into WORK/src.
quickjs_unpack() {
	mkdir -p "$1/src"
	tar -xf "$2" -C "$1/src" --strip-components=1
}

# quickjs_native_repl WORK builds qjsc natively in a copy of the source, only
# to compile repl.js into repl.c (bytecode; the same on every target).
quickjs_native_repl() {
	cp -a "$1/src" "$1/native"
	make -C "$1/native" -j"$JOBS" repl.c
}

# quickjs_check_patch WORK VERSION stops with one clear message when the
# WASI patch does not apply cleanly to the source (a newer QuickJS).
quickjs_check_patch() {
	local log="$LOG_DIR/patch-dry-run.log"
	patch -d "$1/src" -p1 --dry-run --batch --forward <"$BUILD_DIR/$QJS_PATCH_NAME" >"$log" 2>&1 ||
		die "runtimes/build/$QJS_PATCH_NAME no longer applies to quickjs $2 (dry run: $log). Refresh it, starting with: runtimes/build/build.sh quickjs-patch-start /tmp/quickjs-patch"
}

# quickjs_patch WORK applies the WASI patch to a copy of the source.
quickjs_patch() {
	cp -a "$1/src" "$1/wasi"
	patch -d "$1/wasi" -p1 --batch --forward <"$BUILD_DIR/$QJS_PATCH_NAME"
	cp "$1/native/repl.c" "$1/wasi/repl.c"
}

# quickjs_compile WORK OUT compiles and links OUT (qjs.wasm, stripped).
quickjs_compile() {
	local work=$1 out=$2 unit version
	cd "$work/wasi" || return
	version=$(cat VERSION)
	for unit in "${QJS_UNITS[@]}"; do
		$WASI_CC "${QJS_CFLAGS[@]}" -DCONFIG_VERSION="\"$version\"" -c "$unit.c" -o "$unit.o" &
	done
	local pid failed=0
	for pid in $(jobs -p); do
		wait "$pid" || failed=1
	done
	[ "$failed" -eq 0 ]
	$WASI_CC "${QJS_LDFLAGS[@]}" -o qjs-unstripped.wasm "${QJS_UNITS[@]/%/.o}" "${QJS_LIBS[@]}"
	"$WASI_STRIP" "${STRIP_FLAGS[@]}" -o "$out" qjs-unstripped.wasm
}

# QJS_REACTOR_UNITS are linked with qjs-reactor.c (which includes quickjs.c).
QJS_REACTOR_UNITS=(dtoa libregexp libunicode cutils quickjs-libc)

# quickjs_reactor WORK OUT links OUT (qjs-reactor.wasm, stripped): the same
# engine as a WASI reactor the runner initialises once and starts every run
# from a snapshot of (see qjs-reactor.c).
quickjs_reactor() {
	local work=$1 out=$2
	cd "$work/wasi" || return
	$WASI_CC "${QJS_CFLAGS[@]}" -DCONFIG_VERSION="\"$(cat VERSION)\"" -I. -c "$BUILD_DIR/qjs-reactor.c" -o qjs-reactor.o
	# The command's link flags, with -mexec-model=reactor for =command.
	$WASI_CC "${QJS_LDFLAGS[@]/command/reactor}" -o qjs-reactor-unstripped.wasm qjs-reactor.o \
		"${QJS_REACTOR_UNITS[@]/%/.o}" "${QJS_LIBS[@]}"
	"$WASI_STRIP" "${STRIP_FLAGS[@]}" -o "$out" qjs-reactor-unstripped.wasm
}

# build_quickjs WORK OUT ORIG VERSION builds OUT/qjs.wasm.
build_quickjs() {
	local work=$1 out=$2
	run_step unpack quickjs_unpack "$work" "$3"
	quickjs_check_patch "$work" "$4"
	run_step native-repl quickjs_native_repl "$work"
	run_step patch quickjs_patch "$work"
	mkdir -p "$out"
	run_step compile quickjs_compile "$work" "$out/qjs.wasm"
	run_step reactor quickjs_reactor "$work" "$out/qjs-reactor.wasm"
	note "  qjs.wasm: $(stat -c %s "$work/wasi/qjs-unstripped.wasm") bytes as built, $(stat -c %s "$out/qjs.wasm") stripped"
}
