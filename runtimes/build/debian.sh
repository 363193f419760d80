# shellcheck shell=bash
# debian.sh: everything that talks to apt. Build inputs come only from Debian:
#
#   - the host toolchain (clang-19, lld-19, ...) from the system's bookworm
#     archive, installed with apt-get install;
#   - source packages from trixie, through ONE file of our own,
#     /etc/apt/sources.list.d/wasmplay-src.sources (deb-src only: no trixie
#     binary ever reaches the system), fetched with apt-get source --tar-only
#     (only the pristine orig tarballs, checked by apt against the signed index);
#   - trixie's wasi-libc (a binary package) through a PRIVATE apt state under
#     the cache directory: apt-get download, then dpkg -x into a private
#     sysroot. The system's apt state and dpkg database are never touched by it.
#
# Not part of any recipe hash: which versions were used is part of the cache
# key and the manifest instead.
#
# Needs: CACHE_ROOT, LOG_DIR (set by build.sh).

DEBIAN_MIRROR=${WASMPLAY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
SOURCE_SUITE=trixie
SYSTEM_SOURCES_FILE=/etc/apt/sources.list.d/wasmplay-src.sources

# The host packages the builds need, by purpose.
# shellcheck disable=SC2034 # used by build.sh
HOST_PACKAGES=(
	clang-19 lld-19 llvm-19 libclang-rt-19-dev-wasm32 # the wasm32-wasip1 cross toolchain
	gcc make libc6-dev                                 # native CPython and qjsc (repl.c)
	tcl                                                # sqlite3's amalgamation generator
	xz-utils patch                                     # unpack and patch the sources
)

# --- the host toolchain ----------------------------------------------------------------

# missing_host_packages PKG... prints the packages that are not installed.
missing_host_packages() {
	local pkg status
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
		[ "$status" = "install ok installed" ] || printf '%s\n' "$pkg"
	done
}

# system_knows_package PKG says whether the system's apt lists have a
# candidate for the binary package PKG.
system_knows_package() {
	local candidate
	candidate=$({ apt-cache policy "$1" 2>/dev/null || true; } | awk '/Candidate:/ { print $2 }')
	[ -n "$candidate" ] && [ "$candidate" != "(none)" ]
}

# ensure_host_packages PKG... installs the packages that are missing, updating
# the system's apt lists first when they do not know them (a fresh machine).
ensure_host_packages() {
	local missing
	mapfile -t missing < <(missing_host_packages "$@")
	[ ${#missing[@]} -eq 0 ] && return 0
	if ! command -v apt-get >/dev/null 2>&1; then
		die "missing host packages: ${missing[*]}, and apt-get is not available (not Debian?). Install them, or bring your own python.wasm/qjs.wasm (docs/RUNTIMES.md)"
	fi
	if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
		die "missing host packages: ${missing[*]}. As root run: apt-get install --no-install-recommends ${missing[*]}"
	fi
	note "installing host packages: ${missing[*]}"
	if ! system_knows_package "${missing[0]}"; then
		note "the system's apt lists do not know ${missing[0]}: apt-get update"
		as_root apt-get update >"$LOG_DIR/apt-get-update.log" 2>&1 ||
			die "apt-get update failed (log: $LOG_DIR/apt-get-update.log). Check access to the Debian mirror, then: make runtimes"
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
		>"$LOG_DIR/apt-get-install.log" 2>&1 ||
		die "apt-get install ${missing[*]} failed (log: $LOG_DIR/apt-get-install.log). Fix it with: apt-get install --no-install-recommends ${missing[*]}"
}

# --- trixie source packages, through the system's apt ----------------------------------

# system_sources_content prints what SYSTEM_SOURCES_FILE must hold.
system_sources_content() {
	cat <<EOF
# Written by wasmplay's runtimes/build/debian.sh: source packages (deb-src only)
# for the guest runtimes. Remove this file (then apt-get update) to undo.
Types: deb-src
URIs: $DEBIAN_MIRROR
Suites: $SOURCE_SUITE
Components: main
Signed-By: $DEBIAN_KEYRING
EOF
}

# system_source_versions PKG... prints "PKG VERSION" for the source packages
# of SOURCE_SUITE, the versions apt would fetch, from the system's lists (no
# network; one apt call, as each one parses every list). It prints nothing
# when apt does not know one of them.
system_source_versions() {
	{ LC_ALL=C apt-get source --print-uris --tar-only "${@/%//$SOURCE_SUITE}" 2>/dev/null || true; } |
		sed -n "s/^Selected version '\(.*\)' ($SOURCE_SUITE) for \(.*\)\$/\2 \1/p"
}

# update_system_source_index writes our sources file (when it differs) and
# updates the lists of that file only: other lists are left as they are.
update_system_source_index() {
	local want
	if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
		die "apt does not know the $SOURCE_SUITE source packages yet, and adding $SYSTEM_SOURCES_FILE needs root (and there is no sudo). Run it once as root: make runtimes"
	fi
	want=$(system_sources_content)
	if [ ! -f "$SYSTEM_SOURCES_FILE" ] || [ "$(cat "$SYSTEM_SOURCES_FILE")" != "$want" ]; then
		note "adding the $SOURCE_SUITE deb-src entry: $SYSTEM_SOURCES_FILE"
		printf '%s\n' "$want" | as_root tee "$SYSTEM_SOURCES_FILE" >/dev/null ||
			die "could not write $SYSTEM_SOURCES_FILE. Run as root: make runtimes"
	fi
	note "apt-get update for the $SOURCE_SUITE source index only"
	as_root apt-get update --error-on=any -o Dir::Etc::SourceList="$SYSTEM_SOURCES_FILE" -o Dir::Etc::SourceParts=/nonexistent \
		-o APT::Get::List-Cleanup=0 >"$LOG_DIR/apt-get-update-sources.log" 2>&1 ||
		die "apt-get update of $SYSTEM_SOURCES_FILE failed (log: $LOG_DIR/apt-get-update-sources.log). Check access to $DEBIAN_MIRROR, then: make runtimes"
}

# source_versions PKG... prints "PKG VERSION" lines for the source packages,
# in order, reading the system's lists; only when one is unknown (lists
# missing or stale) does it add our sources file and update its index.
source_versions() {
	local known pkg version
	known=$(system_source_versions "$@")
	if [ "$(printf '%s' "$known" | grep -c .)" -ne $# ]; then
		update_system_source_index
		known=$(system_source_versions "$@")
	fi
	for pkg in "$@"; do
		version=$(printf '%s\n' "$known" | awk -v p="$pkg" '$1 == p { print $2 }')
		[ -n "$version" ] || die "apt knows no source package '$pkg' in $SOURCE_SUITE even after apt-get update (see $SYSTEM_SOURCES_FILE). Check it, then: make runtimes"
		printf '%s %s\n' "$pkg" "$version"
	done
}

# upstream_version VERSION prints VERSION without its epoch and Debian revision.
upstream_version() {
	local v=${1#*:}
	printf '%s\n' "${v%-*}"
}

# fetch_orig_tarball DIR PKG VERSION downloads the orig tarball(s) of source
# package PKG at VERSION into DIR (skipped when already there) and prints the
# path of the main orig tarball.
fetch_orig_tarball() {
	local dir=$1 pkg=$2 version=$3 upstream orig
	upstream=$(upstream_version "$version")
	mkdir -p "$dir"
	orig=$(find "$dir" -maxdepth 1 -name "${pkg}_${upstream}.orig.tar.*" ! -name '*.asc' -print -quit)
	if [ -z "$orig" ]; then
		note "apt-get source --tar-only $pkg=$version"
		(cd "$dir" && apt-get source --download-only --tar-only "$pkg=$version") \
			>"$LOG_DIR/apt-get-source-$pkg.log" 2>&1 ||
			die "apt-get source $pkg=$version failed (log: $LOG_DIR/apt-get-source-$pkg.log). If the index is stale, refresh it with: runtimes/build/build.sh refresh"
		orig=$(find "$dir" -maxdepth 1 -name "${pkg}_${upstream}.orig.tar.*" ! -name '*.asc' -print -quit)
		[ -n "$orig" ] || die "apt-get source $pkg=$version gave no ${pkg}_${upstream}.orig.tar.* in $dir. Clear it with: rm -rf $dir, then: make runtimes"
	fi
	printf '%s\n' "$orig"
}

# --- trixie's wasi-libc, through a private apt state -----------------------------------

PRIVATE_APT_DIR="$CACHE_ROOT/apt-$SOURCE_SUITE"

# private_apt TOOL ARGS... runs apt-get or apt-cache against the private
# trixie state: its own source list, lists and cache; no system parts. The
# binary caches are named so apt keeps them between calls (0.5 s a call
# without them; apt rebuilds them when the lists change).
private_apt() {
	local tool=$1
	shift
	"$tool" -o Dir::State::Lists="$PRIVATE_APT_DIR/lists" \
		-o Dir::Etc::SourceList="$PRIVATE_APT_DIR/sources.list" \
		-o Dir::Etc::SourceParts=/nonexistent \
		-o Dir::Etc::Preferences=/nonexistent -o Dir::Etc::PreferencesParts=/nonexistent \
		-o Dir::Cache="$PRIVATE_APT_DIR/cache" \
		-o Dir::Cache::pkgcache="$PRIVATE_APT_DIR/cache/pkgcache.bin" \
		-o Dir::Cache::srcpkgcache="$PRIVATE_APT_DIR/cache/srcpkgcache.bin" \
		-o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false \
		-o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false \
		-o Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false \
		-o Acquire::Languages=none \
		"$@"
}

# private_package_version PKG prints the candidate version of binary package
# PKG in the private trixie lists (empty if unknown).
private_package_version() {
	[ -d "$PRIVATE_APT_DIR/lists" ] || return 0
	{ private_apt apt-cache policy "$1" 2>/dev/null || true; } | awk '/Candidate:/ && $2 != "(none)" { print $2 }'
}

# update_private_index creates the private apt state and updates its lists.
update_private_index() {
	mkdir -p "$PRIVATE_APT_DIR/lists/partial" "$PRIVATE_APT_DIR/cache/archives/partial"
	printf 'deb [signed-by=%s] %s %s main\n' "$DEBIAN_KEYRING" "$DEBIAN_MIRROR" "$SOURCE_SUITE" \
		>"$PRIVATE_APT_DIR/sources.list"
	note "apt-get update of the private $SOURCE_SUITE index ($PRIVATE_APT_DIR)"
	private_apt apt-get update --error-on=any >"$LOG_DIR/apt-get-update-private.log" 2>&1 ||
		die "apt-get update of the private $SOURCE_SUITE index failed (log: $LOG_DIR/apt-get-update-private.log). Check access to $DEBIAN_MIRROR, then: make runtimes"
}

# binary_versions PKG... prints "PKG VERSION" lines for trixie binary packages,
# from the private lists, updating them once when one is unknown.
binary_versions() {
	local pkg version updated=no
	for pkg in "$@"; do
		version=$(private_package_version "$pkg")
		if [ -z "$version" ] && [ "$updated" = no ]; then
			update_private_index
			updated=yes
			version=$(private_package_version "$pkg")
		fi
		[ -n "$version" ] || die "the private $SOURCE_SUITE index knows no package '$pkg'. Clear it with: rm -rf $PRIVATE_APT_DIR, then: make runtimes"
		printf '%s %s\n' "$pkg" "$version"
	done
}

# fetch_binary_package DIR PKG VERSION downloads PKG=VERSION (a .deb) into DIR
# with the private apt state (skipped when already there); prints its path.
fetch_binary_package() {
	local dir=$1 pkg=$2 version=$3 deb
	# apt-get download keeps an epoch in the name, as %3a ("1%3a2.2.4-1").
	local pattern="${pkg}_${version//:/%3a}_*.deb"
	mkdir -p "$dir"
	deb=$(find "$dir" -maxdepth 1 -name "$pattern" -print -quit)
	if [ -z "$deb" ]; then
		note "apt-get download $pkg=$version (private $SOURCE_SUITE state)"
		(cd "$dir" && private_apt apt-get download "$pkg=$version") >"$LOG_DIR/apt-get-download-$pkg.log" 2>&1 ||
			die "apt-get download $pkg=$version failed (log: $LOG_DIR/apt-get-download-$pkg.log). Refresh the index with: rm -rf $PRIVATE_APT_DIR, then: make runtimes"
		deb=$(find "$dir" -maxdepth 1 -name "$pattern" -print -quit)
		[ -n "$deb" ] || die "apt-get download $pkg=$version left no $pattern in $dir. Clear it with: rm -rf $dir, then: make runtimes"
	fi
	printf '%s\n' "$deb"
}
