"""Lay out CPython's standard library for the WASI guest.

Run with the NATIVE python built from the same source (same version, so the
bytecode matches the guest's). Part of the Python recipe hash.

    python pack_stdlib.py --stdlib INSTALLED_LIB_DIR --out LIB_DIR \
        --layout zip|dir [--compression stored|deflated] [--keep-all]

INSTALLED_LIB_DIR is the lib/python3.13 of a `make install`. LIB_DIR becomes
the host directory mounted read-only at the guest's /usr/local/lib:

  zip  LIB_DIR/python313.zip: sourceless .pyc (plus the stdlib's data files),
       entries sorted with a fixed date so the same input gives the same zip.
  dir  LIB_DIR/python3.13/: the .py files with their __pycache__/*.pyc
       (optimization level 0 only, as the guest runs without -O).

Either way, what cannot work or is not wanted in the guest is left out
(EXCLUDED below) unless --keep-all is given (used only for measurements).
"""

import argparse
import importlib.util
import os
import py_compile
import shutil
import sys
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

GUEST_LIB = "/usr/local/lib"
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
ZIP_NAME = f"python{sys.version_info.major}{sys.version_info.minor}.zip"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)

# Top-level names left out of the guest's stdlib: GUI and turtle (no Tk),
# pip bootstrap (no network, no installs), pydoc's topic index, the build's
# static library and Makefile, empty site-packages, and test packages.
EXCLUDED_TOP = {
    "idlelib", "tkinter", "turtle.py", "turtledemo", "ensurepip", "pydoc_data",
    "site-packages", "test", "__phello__", f"config-{VERSION}-wasm32-wasi",
}
# Directory names left out wherever they appear (test packages, caches).
EXCLUDED_ANYWHERE = {"__pycache__", "tests", "idle_test"}


def included_files(stdlib, keep_all):
    """Yield (relative path, absolute path) of the files to ship, sorted."""
    for root, dirs, files in os.walk(stdlib):
        rel_root = os.path.relpath(root, stdlib)
        top_level = rel_root == "."
        kept = []
        for d in sorted(dirs):
            if d == "__pycache__":
                continue
            if not keep_all and (d in EXCLUDED_ANYWHERE or (top_level and d in EXCLUDED_TOP)):
                continue
            kept.append(d)
        dirs[:] = kept
        for f in sorted(files):
            if f.endswith((".pyc", ".pyo")):
                continue
            if not keep_all and top_level and f in EXCLUDED_TOP:
                continue
            rel = f if top_level else os.path.join(rel_root, f)
            yield rel, os.path.join(root, f)


def pyc_bytes(source_path, guest_path):
    """Compile one module to .pyc bytes (unchecked hash-based: no mtime, so
    the output is reproducible); guest_path is what tracebacks will show."""
    with open(source_path, "rb") as f:
        source = f.read()
    code = compile(source, guest_path, "exec", dont_inherit=True, optimize=0)
    return bytes(_code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False))


def write_zip(stdlib, out, compression, keep_all):
    method = {"stored": zipfile.ZIP_STORED, "deflated": zipfile.ZIP_DEFLATED}[compression]
    zip_path = os.path.join(out, ZIP_NAME)
    guest_zip = f"{GUEST_LIB}/{ZIP_NAME}"
    entries = 0
    with zipfile.ZipFile(zip_path, "w") as zf:
        for rel, path in included_files(stdlib, keep_all):
            if rel.endswith(".py"):
                name = rel[:-3] + ".pyc"
                data = pyc_bytes(path, f"{guest_zip}/{rel}")
            else:
                name = rel
                with open(path, "rb") as f:
                    data = f.read()
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compresslevel=9 if method == zipfile.ZIP_DEFLATED else None)
            entries += 1
    print(f"{zip_path}: {entries} entries, {os.path.getsize(zip_path)} bytes")


def write_dir(stdlib, out, keep_all):
    dest_root = os.path.join(out, f"python{VERSION}")
    files = 0
    for rel, path in included_files(stdlib, keep_all):
        dest = os.path.join(dest_root, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy2(path, dest)  # keep mtimes: the .pyc records them
        files += 1
        if rel.endswith(".py"):
            # Timestamp-based .pyc, as `make install` writes them, but only
            # for optimization level 0.
            cache = importlib.util.cache_from_source(dest)
            os.makedirs(os.path.dirname(cache), exist_ok=True)
            guest = f"{GUEST_LIB}/python{VERSION}/{rel}"
            py_compile.compile(dest, cfile=cache, dfile=guest, doraise=True, optimize=0)
            files += 1
    print(f"{dest_root}: {files} files")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdlib", required=True, help="installed lib/pythonX.Y")
    parser.add_argument("--out", required=True, help="directory to create (the guest's /usr/local/lib)")
    parser.add_argument("--layout", choices=["zip", "dir"], required=True)
    parser.add_argument("--compression", choices=["stored", "deflated"], default="stored")
    parser.add_argument("--keep-all", action="store_true", help="leave nothing out (measurements only)")
    args = parser.parse_args()

    if not os.path.isfile(os.path.join(args.stdlib, "os.py")):
        sys.exit(f"pack_stdlib: {args.stdlib} holds no os.py: not an installed stdlib")
    os.makedirs(args.out, exist_ok=True)
    if args.layout == "zip":
        write_zip(args.stdlib, args.out, args.compression, args.keep_all)
    else:
        write_dir(args.stdlib, args.out, args.keep_all)


if __name__ == "__main__":
    main()
