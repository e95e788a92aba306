"""Compile the matching engine (`clob/engine`) with mypyc, in place, offline.

``.venv/bin/python -m scripts.build_engine`` builds a C extension next to each compiled module
(``clob/engine/<module>.cpython-*.so``, plus the shared ``_native__mypyc`` library); Python imports an extension
before the ``.py`` of the same name, so the engine then runs compiled. The sources stay the only truth: the same
files run unchanged as pure Python whenever the extensions are absent (``--clean`` removes them). Only the
repository's own files, the mypy/mypyc already in the virtualenv, gcc and the Python headers are used.

``--if-stale`` (what `scripts/bootstrap.sh` runs) rebuilds only when the engine's sources, this script or the
toolchain changed since the last build, recorded in ``clob/engine/native.stamp``; a failed build leaves the pure
Python engine in place (``--if-stale`` does not retry it until something changes: ``native.failed``).
`tests/unit/engine/test_engine_native.py` fails if the extensions present were not built from the current
sources, and checks that both builds emit identical events.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.machinery
import os
import shutil
import sys
import tempfile
from pathlib import Path

import mypy.version

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "clob" / "engine"
STAMP = ENGINE / "native.stamp"
FAILED = ENGINE / "native.failed"
"""the source hash of a failed build: ``--if-stale`` does not retry it until something changes"""
GROUP = "clob.engine._native"
MODULES = (
    "admin",
    "book",
    "engine",
    "events",
    "hashing",
    "invariants",
    "matching",
    "placement",
    "pricing",
    "snapshot",
    "state",
    "views",
)
"""Compiled modules. Left as Python: `__init__` (re-exports), `types` (enums, constants) and `commands` (dataclasses
built by the service layer)."""


def source_hash() -> str:
    """What the extensions depend on: every engine source, this script, the Python and mypy versions."""
    digest = hashlib.sha256(f"{sys.version}|{mypy.version.__version__}|{MODULES}\n".encode())
    for path in [*sorted(ENGINE.glob("*.py")), Path(__file__).resolve()]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def built_stamp() -> str | None:
    """The source hash the present extensions were built from (None when there are none)."""
    if not extensions():
        return None
    return STAMP.read_text().strip() if STAMP.exists() else ""


def extensions() -> list[Path]:
    return sorted({p for suffix in importlib.machinery.EXTENSION_SUFFIXES for p in ENGINE.glob(f"*{suffix}")})


def clean() -> None:
    for path in extensions():
        path.unlink()
    STAMP.unlink(missing_ok=True)


def build() -> None:
    """Compile into a temporary directory, then move each extension into place with `os.replace`: a process that
    has the previous build loaded keeps its (unlinked) files; nothing is overwritten in place."""
    # Build-time tools, imported only when a build runs: importing mypyc takes seconds, and ``--if-stale`` (every
    # ``make`` target) mostly returns without building.
    from mypyc.build import mypycify
    from setuptools import setup

    wanted = source_hash()
    temp = Path(tempfile.mkdtemp(prefix="engine-native-"))
    try:
        paths = [str((ENGINE / f"{name}.py").relative_to(ROOT)) for name in MODULES]
        extensions_ = mypycify(paths, opt_level="3", group_name=GROUP, target_dir=str(temp / "c"))
        lib = temp / "lib"
        setup(
            name="clob-engine-native",
            packages=[],
            py_modules=[],
            ext_modules=extensions_,
            script_args=["--quiet", "build_ext", "--build-lib", str(lib), "--build-temp", str(temp / "obj")],
        )
        built = sorted((lib / "clob" / "engine").iterdir())
        if len(built) != len(MODULES) + 1:
            raise RuntimeError(f"expected {len(MODULES) + 1} extensions, got {[p.name for p in built]}")
        STAMP.unlink(missing_ok=True)
        for path in set(extensions()) - {ENGINE / p.name for p in built}:
            path.unlink()
        for path in built:
            os.replace(path, ENGINE / path.name)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    STAMP.write_text(wanted + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--if-stale", action="store_true", help="build only if the sources changed since the last build")
    group.add_argument("--clean", action="store_true", help="remove the extensions: the engine runs as pure Python")
    args = parser.parse_args(argv)
    if args.clean:
        clean()
        print("engine: compiled modules removed (pure Python)")
        return 0
    wanted = source_hash()
    if args.if_stale and built_stamp() == wanted:
        return 0
    if args.if_stale and FAILED.exists() and FAILED.read_text().strip() == wanted:
        print("engine: pure Python (the mypyc build of these sources failed; `python -m scripts.build_engine` retries)")
        return 0
    os.chdir(ROOT)  # mypyc and setuptools work with paths relative to the repository
    FAILED.unlink(missing_ok=True)
    try:
        build()
    except (Exception, SystemExit) as error:  # any failure (setuptools exits): fall back to pure Python
        clean()
        FAILED.write_text(wanted + "\n")
        print(f"engine: mypyc build failed ({error!r}); the engine runs as pure Python", file=sys.stderr)
        return 0 if args.if_stale else 1
    print(f"engine: compiled {len(MODULES)} modules with mypyc ({len(extensions())} extensions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
