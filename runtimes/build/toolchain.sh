# shellcheck shell=bash
# toolchain.sh: the wasm32-wasip1 cross toolchain both recipes compile with.
# Part of the recipe hash of EVERY runtime: change a flag here and both are
# rebuilt.
#
#   compiler  bookworm's clang-19 / lld-19 / llvm-19 (host packages)
#   builtins  bookworm's libclang-rt-19-dev-wasm32
#   libc      trixie's wasi-libc, unpacked privately (dpkg -x) into a sysroot

WASI_TARGET=wasm32-wasip1
LLVM_BIN=/usr/lib/llvm-19/bin
CLANG_RESOURCE_DIR=/usr/lib/llvm-19/lib/clang/19
WASM_BUILTINS="$CLANG_RESOURCE_DIR/lib/wasi/libclang_rt.builtins-wasm32.a"

# Strip DWARF but keep the "name" section, so wasmtime still prints function
# names in guest backtraces.
# shellcheck disable=SC2034 # used by the recipes
STRIP_FLAGS=(--strip-debug)

# setup_wasi_toolchain DIR WASI_LIBC_DEB unpacks wasi-libc into DIR/sysroot,
# makes a private clang resource directory, and exports WASI_CC, WASI_CXX,
# WASI_CPP, WASI_AR, WASI_RANLIB, WASI_STRIP, WASI_SYSROOT for the recipes.
setup_wasi_toolchain() {
	local dir=$1 deb=$2
	mkdir -p "$dir/sysroot"
	dpkg-deb -x "$deb" "$dir/sysroot"
	[ -f "$dir/sysroot/usr/lib/$WASI_TARGET/libc.a" ] ||
		die "the wasi-libc package $deb has no usr/lib/$WASI_TARGET/libc.a. Its layout changed: update runtimes/build/toolchain.sh"

	# clang-19 looks for the builtins of --target=wasm32-wasip1 at
	# <resource-dir>/lib/wasm32-unknown-wasip1/libclang_rt.builtins.a, but
	# bookworm ships them as lib/wasi/libclang_rt.builtins-wasm32.a: a private
	# resource directory of two symlinks bridges the two names.
	[ -f "$WASM_BUILTINS" ] ||
		die "missing $WASM_BUILTINS. Install it with: apt-get install libclang-rt-19-dev-wasm32"
	mkdir -p "$dir/resource-dir/lib/wasm32-unknown-wasip1"
	ln -sfn "$CLANG_RESOURCE_DIR/include" "$dir/resource-dir/include"
	ln -sfn "$WASM_BUILTINS" "$dir/resource-dir/lib/wasm32-unknown-wasip1/libclang_rt.builtins.a"

	WASI_SYSROOT="$dir/sysroot/usr"
	local target_flags="--target=$WASI_TARGET --sysroot=$WASI_SYSROOT -resource-dir=$dir/resource-dir"
	export WASI_SYSROOT
	export WASI_CC="$LLVM_BIN/clang $target_flags"
	export WASI_CXX="$LLVM_BIN/clang++ $target_flags"
	export WASI_CPP="$LLVM_BIN/clang-cpp $target_flags"
	export WASI_AR="$LLVM_BIN/llvm-ar"
	export WASI_RANLIB="$LLVM_BIN/llvm-ranlib"
	export WASI_STRIP="$LLVM_BIN/llvm-strip"
}

# clang_version prints the compiler's version line, for the manifest.
clang_version() {
	"$LLVM_BIN/clang" --version | head -n 1
}
