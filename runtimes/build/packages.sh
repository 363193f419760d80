# shellcheck shell=bash
# packages.sh: pure-Python packages for the guest Python, from Debian
# trixie's python3-* binary packages (sourced by build.sh).
#
# The packages are unpacked into one site-packages directory, compiled to
# .pyc by the guest Python itself (so imports do not recompile on every
# run), checked by importing each in the sandbox, and installed as
# bin/packages/site-packages with a manifest (bin/packages/packages.json).
# Every Python run mounts it read-only at
# /usr/local/lib/python3.13/site-packages, where site puts it on sys.path.

# DEFAULT_PACKAGES are the packages LLM-written Python imports most, that
# run in WebAssembly.
DEFAULT_PACKAGES=(tabulate python-dateutil six jinja2 markupsafe pyyaml attrs idna charset-normalizer
	defusedxml markdown packaging)

PACKAGES_DIR=$BIN_DIR/packages
PACKAGES_CACHE=$CACHE_ROOT/packages

# debian_name NAME maps a package name as people write it (the PyPI name,
# the import name or the Debian name) to the Debian binary package.
debian_name() {
	local n=${1,,}
	n=${n//_/-}
	case $n in
	python3-*) printf '%s\n' "$n" ;;
	pyyaml | yaml) echo python3-yaml ;;
	attrs) echo python3-attr ;;
	python-dateutil | dateutil) echo python3-dateutil ;;
	beautifulsoup4 | bs4) echo python3-bs4 ;;
	pillow | pil) echo python3-pil ;;
	scikit-learn | sklearn) echo python3-sklearn ;;
	*) printf 'python3-%s\n' "$n" ;;
	esac
}

# OPTIONAL_EXTENSIONS lists compiled modules that only speed up a package
# with a pure-Python fallback beside them; they are dropped. Any other
# compiled module makes a package unusable in WebAssembly.
OPTIONAL_EXTENSIONS=(
	"markupsafe/_speedups.*.so"        # falls back to markupsafe/_native.py
	"yaml/_yaml.*.so"                  # PyYAML's pure mode (no libyaml)
	"charset_normalizer/md.*.so"       # mypyc build of md.py, which is shipped
	"charset_normalizer/md__mypyc.*.so"
)

# python_deps PKG... prints the python3-* dependencies of the PKGs (not the
# interpreter), in one apt-cache call (each call costs 0.2 s).
python_deps() {
	{ private_apt apt-cache depends --no-recommends --no-suggests --no-enhances "$@" 2>/dev/null || true; } |
		awk '$1 == "Depends:" { print $2 }' | tr -d '<>' |
		grep -E '^python3-' | grep -Ev '^python3-(minimal|distutils|lib2to3|venv|dev|all)(:|$)' | sort -u || true
}

# resolve_packages NAME... prints the Debian packages to install: the
# requested ones and their python3-* dependencies, with versions. The
# dependencies are walked a level at a time.
resolve_packages() {
	local name pkg dep
	local -A seen=()
	local level=()
	for name in "$@"; do
		pkg=$(debian_name "$name")
		[ -n "$(private_package_version "$pkg")" ] || update_private_index
		[ -n "$(private_package_version "$pkg")" ] ||
			die "Debian $SOURCE_SUITE has no package $pkg (asked for as '$name'); wasmplay takes packages from Debian's python3-* packages: see https://packages.debian.org/$SOURCE_SUITE/ for the name"
		[ -n "${seen[$pkg]:-}" ] || level+=("$pkg")
		seen[$pkg]=1
	done
	while [ ${#level[@]} -gt 0 ]; do
		local next=()
		for dep in $(python_deps "${level[@]}"); do
			[ -z "${seen[$dep]:-}" ] || continue
			# Virtual packages (python3-supported-min and the like) name
			# interpreter versions, not code: they have no version of
			# their own and nothing to unpack.
			[ -n "$(private_package_version "$dep")" ] || continue
			seen[$dep]=1
			next+=("$dep")
		done
		level=("${next[@]}")
	done
	for pkg in $(printf '%s\n' "${!seen[@]}" | sort); do
		printf '%s %s\n' "$pkg" "$(private_package_version "$pkg")"
	done
}

# unpack_package DEB PKG DEST copies PKG's dist-packages into DEST,
# dropping optional speedups (listed in DEST.dropped) and refusing any other
# compiled module.
unpack_package() {
	local deb=$1 pkg=$2 dest=$3 tmp so rel pattern optional bad=()
	tmp=$(mktemp -d)
	dpkg-deb -x "$deb" "$tmp" || die "could not unpack $deb (dpkg-deb -x failed)"
	local src="$tmp/usr/lib/python3/dist-packages"
	if [ ! -d "$src" ]; then
		rm -rf "$tmp"
		die "$pkg holds no Python modules (no usr/lib/python3/dist-packages): it is not a Python library package"
	fi
	while IFS= read -r so; do
		rel=${so#"$src"/}
		optional=no
		for pattern in "${OPTIONAL_EXTENSIONS[@]}"; do
			# shellcheck disable=SC2053 # the pattern is a glob on purpose
			[[ $rel == $pattern ]] && optional=yes
		done
		if [ $optional = yes ]; then
			rm -f "$so"
			printf '%s\n' "$rel" >>"$dest.dropped"
		else
			bad+=("$rel")
		fi
	done < <(find "$src" -name '*.so' -o -name '*.so.*')
	if [ ${#bad[@]} -gt 0 ]; then
		rm -rf "$tmp"
		local shown=("${bad[@]:0:3}")
		[ ${#bad[@]} -le 3 ] || shown+=("and $((${#bad[@]} - 3)) more")
		die "$pkg contains compiled extension modules (${shown[*]}): native code cannot run in the WebAssembly sandbox, so only pure-Python packages can be added"
	fi
	mkdir -p "$dest"
	cp -a "$src/." "$dest/"
	rm -rf "$tmp"
}

# packages_key LINES prints the cache key of a package set: its exact
# versions and the packages recipe.
packages_key() {
	{
		printf '%s\n' "$1"
		cat "$BUILD_DIR/packages.sh"
	} | sha256sum | cut -c1-24
}

# requested_packages prints the package names to build: the defaults, those
# added before (recorded in the manifest), and the ones given.
requested_packages() {
	local names=("${DEFAULT_PACKAGES[@]}" "$@")
	if [ -f "$PACKAGES_DIR/packages.json" ]; then
		mapfile -t -O "${#names[@]}" names < <(buildtool packages-requested "$PACKAGES_DIR")
	fi
	printf '%s\n' "${names[@]}" | awk 'NF && !seen[$0]++'
}

# cmd_packages [NAME...] makes bin/packages up to date with the default set,
# earlier additions and NAMEs.
cmd_packages() {
	require_buildtool
	local names
	mapfile -t names < <(requested_packages "$@")
	build_packages "${names[@]}"
}

# cmd_packages_remove NAME... drops earlier additions and rebuilds without
# them (and without dependencies nothing else needs).
cmd_packages_remove() {
	[ $# -gt 0 ] || die "usage: build.sh packages-remove NAME..."
	require_buildtool
	local name pkg kept=() names
	local -A drop=() defaults=() found=()
	for name in "${DEFAULT_PACKAGES[@]}"; do defaults[$(debian_name "$name")]=1; done
	for name in "$@"; do
		pkg=$(debian_name "$name")
		[ -z "${defaults[$pkg]:-}" ] || die "$name is in the default set, which every wasmplay build offers; it cannot be removed"
		drop[$pkg]=1
	done
	mapfile -t names < <(requested_packages)
	for name in "${names[@]}"; do
		pkg=$(debian_name "$name")
		if [ -n "${drop[$pkg]:-}" ]; then
			found[$pkg]=1
		else
			kept+=("$name")
		fi
	done
	for name in "$@"; do
		[ -n "${found[$(debian_name "$name")]:-}" ] || die "$name was never added (wasmplay packages list shows what is installed)"
	done
	build_packages "${kept[@]}"
}

# build_packages NAME... builds (or takes from the cache) the site-packages
# of exactly these requested packages and their dependencies, and installs
# it as bin/packages.
build_packages() {
	[ -f "$BIN_DIR/python/python.wasm" ] || die "the Python runtime is not built: run make runtimes first"
	local names=("$@") lines key cached stage
	lines=$(resolve_packages "${names[@]}")
	key=$(packages_key "$lines")
	if [ -f "$PACKAGES_DIR/packages.json" ] && buildtool packages-check "$PACKAGES_DIR" "$key" 2>/dev/null; then
		note "packages are up to date ($(wc -l <<<"$lines") Debian packages)"
		return
	fi
	cached=$PACKAGES_CACHE/$key
	if [ ! -f "$cached/packages.json" ] || ! buildtool packages-check "$cached" "$key" 2>/dev/null; then
		note "building site-packages from $(wc -l <<<"$lines") Debian packages (key $key)"
		stage=$(mktemp -d "$CACHE_ROOT/tmp/packages.XXXXXX" 2>/dev/null || { mkdir -p "$CACHE_ROOT/tmp" && mktemp -d "$CACHE_ROOT/tmp/packages.XXXXXX"; })
		mkdir -p "$stage/unpacked"
		local pkg version deb args=()
		while read -r pkg version; do
			deb=$(fetch_binary_package "$PACKAGES_CACHE/debs" "$pkg" "$version")
			unpack_package "$deb" "$pkg" "$stage/unpacked/$pkg"
			args+=("$pkg=$version")
		done <<<"$lines"
		buildtool packages-build -bin "$BIN_DIR" -dir "$stage" -key "$key" -requested "$(
			IFS=,
			echo "${names[*]}"
		)" "${args[@]}" || die "the packages did not pass their checks (see above); nothing was installed"
		rm -rf "$cached"
		mkdir -p "$PACKAGES_CACHE"
		mv "$stage" "$cached"
	fi
	install_tree "$cached" "$PACKAGES_DIR"
	note "installed $(wc -l <<<"$lines") packages into $PACKAGES_DIR"
}

# install_tree SRC DEST replaces DEST with a copy of SRC, atomically.
install_tree() {
	local tmp
	tmp=$(mktemp -d "$(dirname "$2")/.packages.XXXXXX")
	cp -a "$1/." "$tmp/"
	rm -rf "$2.old"
	[ ! -e "$2" ] || mv "$2" "$2.old"
	mv "$tmp" "$2"
	rm -rf "$2.old"
}
