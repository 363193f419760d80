# shellcheck shell=bash
# python.sh: the recipe for bin/python/ — CPython 3.13 as a WASI preview1
# command, from the pristine orig tarball of trixie's python3.13, with zlib
# and sqlite3 cross-built from their trixie orig tarballs, and the standard
# library laid out for the guest's read-only /usr/local/lib.
#
# The Python recipe hash covers this file, toolchain.sh, pack_stdlib.py and
# python-reactor.{c,mk}.
# Needs (from build.sh): lib.sh and toolchain.sh sourced, setup_wasi_toolchain
# done, JOBS, BUILD_DIR (this directory).

# --- pinned choices (each one measured: docs/BENCHMARKS.md, "Guest runtimes") ---------
PY_PYMALLOC=yes           # --with-pymalloc (upstream turns it off on WASI)
PY_STDLIB_LAYOUT=zip      # zip: lib/python313.zip of sourceless .pyc; dir: lib/python3.13/
PY_ZIP_COMPRESSION=stored # stored | deflated

# SQLite for a single-threaded guest with no mmap, no shared memory (so no
# WAL) and no dlopen.
PY_SQLITE_DEFINES=(
	-DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL
	-DSQLITE_OMIT_SHARED_CACHE -DSQLITE_DEFAULT_MEMSTATUS=0
	-DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_ENABLE_FTS5
	-D_WASI_EMULATED_MMAN -D_WASI_EMULATED_GETPID -D_WASI_EMULATED_PROCESS_CLOCKS
)

# --- steps ------------------------------------------------------------------------------

# python_unpack WORK PY_ORIG ZLIB_ORIG SQLITE_ORIG unpacks the three orig
# tarballs into WORK/src/{python,zlib,sqlite}.
python_unpack() {
	local work=$1
	mkdir -p "$work/src/python" "$work/src/zlib" "$work/src/sqlite"
	tar -xf "$2" -C "$work/src/python" --strip-components=1
	tar -xf "$3" -C "$work/src/zlib" --strip-components=1
	tar -xf "$4" -C "$work/src/sqlite" --strip-components=1
	python_patch "$work"
}

# PY_PATCH_NAME is the WASI patch of CPython: main() starts in the directory
# PWD names (WASI starts programs in "/"), and the eval loop calls the host's
# wasmplay.fuel_tick now and then, so that the fuel a loop burns is seen live
# and a cancel stops it with the count exact. __wasi__ only, so the native
# build from the same tree is unchanged.
PY_PATCH_NAME=python-wasi.patch

# python_patch WORK applies it, stopping with one clear message when it no
# longer applies (a newer CPython).
python_patch() {
	local log="$LOG_DIR/patch.log"
	patch -d "$1/src/python" -p1 --batch --forward <"$BUILD_DIR/$PY_PATCH_NAME" >"$log" 2>&1 ||
		die "runtimes/build/$PY_PATCH_NAME no longer applies to this CPython ($log): refresh it against Programs/python.c, Python/ceval.c and Include/internal/pycore_emscripten_signal.h, then: make runtimes"
}

# The native python only runs build scripts and compiles bytecode (the same
# bytes at any optimisation level): -O1, and without the extension modules
# those never import. Halves its build time.
PY_NATIVE_OPT="-DNDEBUG -O1"
PY_NATIVE_SKIPPED_MODULES=(_bz2 _ctypes _curses _curses_panel _dbm _decimal _gdbm _hashlib _lzma _sqlite3 _ssl _tkinter _uuid readline)

# python_build_native WORK builds a host CPython from the same source: the
# cross build needs it (--with-build-python), and it compiles the stdlib.
python_build_native() {
	local work=$1 mod skipped=()
	for mod in "${PY_NATIVE_SKIPPED_MODULES[@]}"; do
		skipped+=("py_cv_module_$mod=n/a")
	done
	mkdir -p "$work/native" && cd "$work/native" || return
	env OPT="$PY_NATIVE_OPT" "${skipped[@]}" "$work/src/python/configure" --disable-test-modules --without-ensurepip
	make -j"$JOBS" all
	./python -c 'import sys, zipfile, py_compile, concurrent.futures; print(sys.version)'
}

# python_build_zlib WORK cross-builds libz.a into WORK/deps.
python_build_zlib() {
	local work=$1
	cd "$work/src/zlib" || return
	CC="$WASI_CC" AR="$WASI_AR" RANLIB="$WASI_RANLIB" CFLAGS=-O2 CHOST=$WASI_TARGET \
		./configure --static --prefix="$work/deps"
	make -j"$JOBS" libz.a
	make install
}

# python_build_sqlite WORK generates the sqlite3 amalgamation (natively: it
# needs tclsh) and cross-builds libsqlite3.a into WORK/deps.
python_build_sqlite() {
	local work=$1
	mkdir -p "$work/sqlite-amalgamation" "$work/deps/lib" "$work/deps/include"
	cd "$work/sqlite-amalgamation" || return
	"$work/src/sqlite/configure"
	make sqlite3.c
	$WASI_CC -O2 "${PY_SQLITE_DEFINES[@]}" -c sqlite3.c -o sqlite3.o
	$WASI_AR rcs "$work/deps/lib/libsqlite3.a" sqlite3.o
	cp sqlite3.h sqlite3ext.h "$work/deps/include/"
}

# python_build_wasi WORK NAME PYMALLOC cross-builds CPython for
# wasm32-wasip1 in WORK/wasi-NAME and installs it into WORK/inst-NAME.
# zlib and sqlite3 come from WORK/deps only (PKG_CONFIG_LIBDIR); the bundled
# libmpdec gives the C _decimal; --with-openssl points nowhere so that
# configure does not probe the host's OpenSSL (no _ssl/_hashlib: hashlib
# uses its built-in HACL* hashes). --with-lto=thin, with the toolchain's
# llvm-ar (LLVM 19 reads clang-19's bitcode; configure would pick
# /usr/bin/llvm-ar, LLVM 14): 4 to 13 % faster on CPU-bound code, with
# fewer calls to meter (docs/BENCHMARKS.md, "Link-time optimisation").
python_build_wasi() {
	local work=$1 name=$2 pymalloc=$3 src="$1/src/python"
	# sys.version embeds __DATE__ and __TIME__: make them the source's
	# release (its patchlevel.h), so that rebuilds are byte-identical.
	SOURCE_DATE_EPOCH=$(stat -c %Y "$src/Include/patchlevel.h")
	export SOURCE_DATE_EPOCH
	mkdir -p "$work/wasi-$name" && cd "$work/wasi-$name" || return
	CC="$WASI_CC" CPP="$WASI_CPP" CXX="$WASI_CXX" AR="$WASI_AR" LLVM_AR="$WASI_AR" RANLIB="$WASI_RANLIB" \
		CONFIG_SITE="$src/Tools/wasm/config.site-wasm32-wasi" \
		PKG_CONFIG_PATH="" PKG_CONFIG_LIBDIR="$work/deps/lib/pkgconfig" \
		ZLIB_CFLAGS="-I$work/deps/include" ZLIB_LIBS="-L$work/deps/lib -lz" \
		LIBSQLITE3_CFLAGS="-I$work/deps/include" LIBSQLITE3_LIBS="-L$work/deps/lib -lsqlite3 -lwasi-emulated-mman" \
		"$src/configure" --host="$WASI_TARGET" --build="$("$src/config.guess")" \
		--with-build-python="$work/native/python" --prefix=/usr/local \
		--without-ensurepip --disable-test-modules --without-system-libmpdec \
		--with-openssl=/nonexistent --with-pymalloc="$pymalloc" --with-lto=thin
	make -j"$JOBS" all
	make install DESTDIR="$work/inst-$name"
	python_check_modules "$work/wasi-$name"
}

# python_check_modules BUILDDIR fails when a module the guest must have was
# not built (configure quietly skips what it cannot find).
python_check_modules() {
	local makefile="$1/Makefile" mod state
	for mod in ZLIB _SQLITE3 _DECIMAL _JSON PYEXPAT _SHA2 _MD5 _BLAKE2; do
		state=$(sed -n "s/^MODULE_${mod}_STATE=//p" "$makefile")
		[ "$state" = yes ] || {
			echo "module ${mod,,} was not built (state: '${state:-unknown}'); see config.log" >&2
			return 1
		}
	done
}

# python_build_reactor WORK links WORK/wasi-main/python-reactor.wasm: the
# same interpreter as a WASI reactor the runner initialises once and then
# starts every run from a snapshot of (see python-reactor.c).
python_build_reactor() {
	cd "$1/wasi-main" || return
	make -f Makefile -f "$BUILD_DIR/python-reactor.mk" REACTOR_SRC="$BUILD_DIR/python-reactor.c" python-reactor.wasm
}

# python_finish_wasm IN OUT writes the stripped interpreter.
python_finish_wasm() {
	"$WASI_STRIP" "${STRIP_FLAGS[@]}" -o "$2" "$1"
}

# python_pack_stdlib WORK INST OUTLIB LAYOUT COMPRESSION [--keep-all] lays out
# the stdlib of the install INST into OUTLIB with the native python.
python_pack_stdlib() {
	local work=$1 inst=$2 out=$3 layout=$4 compression=$5
	shift 5
	"$work/native/python" -I "$BUILD_DIR/pack_stdlib.py" --stdlib "$inst/usr/local/lib/python3.13" \
		--out "$out" --layout "$layout" --compression "$compression" "$@"
}

# build_python WORK OUT PY_ORIG ZLIB_ORIG SQLITE_ORIG builds into OUT the
# tree that becomes bin/python: OUT/python/python.wasm,
# OUT/python/python-reactor.wasm and OUT/python/lib/.
build_python() {
	local work=$1 out=$2
	run_step unpack python_unpack "$work" "$3" "$4" "$5"
	run_step native-python python_build_native "$work"
	run_step zlib python_build_zlib "$work"
	run_step sqlite3 python_build_sqlite "$work"
	run_step wasi-python python_build_wasi "$work" main "$PY_PYMALLOC"
	mkdir -p "$out/python"
	run_step reactor python_build_reactor "$work"
	run_step strip python_finish_wasm "$work/inst-main/usr/local/bin/python3.13.wasm" "$out/python/python.wasm"
	run_step strip-reactor python_finish_wasm "$work/wasi-main/python-reactor.wasm" "$out/python/python-reactor.wasm"
	run_step stdlib python_pack_stdlib "$work" "$work/inst-main" "$out/python/lib" "$PY_STDLIB_LAYOUT" "$PY_ZIP_COMPRESSION"
	note "  python3.13.wasm: $(stat -c %s "$work/inst-main/usr/local/bin/python3.13.wasm") bytes as built, $(stat -c %s "$out/python/python.wasm") stripped"
}
