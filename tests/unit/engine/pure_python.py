"""Run the engine as pure Python where its compiled extensions are built, and fingerprint what it emits.

`install()` makes the import system ignore the extension modules in `clob/engine` (the `.py` sources load
instead); it must run before `clob.engine` is imported. ``CLOB_ENGINE_PURE=1 pytest tests/unit/engine`` runs the
engine's tests that way (see `conftest.py`); `test_engine_native` compares both builds.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import sys
from pathlib import Path

ENGINE_DIR = Path(__file__).resolve().parents[3] / "clob" / "engine"


def install() -> None:
    """Load `clob.engine`'s modules from source even where extensions of the same name exist."""
    if "clob.engine" in sys.modules:
        raise RuntimeError("clob.engine is already imported")
    source_only = (
        (importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES),
        (importlib.machinery.SourcelessFileLoader, importlib.machinery.BYTECODE_SUFFIXES),
    )

    def hook(path: str) -> importlib.machinery.FileFinder:
        if Path(path).resolve() != ENGINE_DIR:
            raise ImportError  # not the engine: the next hook (the standard one) takes it
        return importlib.machinery.FileFinder(path, *source_only)

    sys.path_hooks.insert(0, hook)
    sys.path_importer_cache.clear()


def stream_digest(seeds: range, length: int) -> str:
    """SHA-256 over the events, state hash and snapshot of busy random streams (`test_engine_properties`), each
    run through the checking harness (invariants after every command, every trade settled on the contract
    model)."""
    from engine_harness import Harness
    from test_engine_properties import _commands, dense_stream

    digest = hashlib.sha256()
    for seed in seeds:
        harness = Harness()
        harness.run(_commands(dense_stream(seed, length)))
        for command, events in harness.log:
            digest.update(repr((command.seq, events)).encode())
        digest.update(harness.engine.state_hash().encode())
        digest.update(harness.engine.snapshot())
    return digest.hexdigest()


def compiled() -> bool:
    """Whether the imported engine runs compiled."""
    from clob.engine import events

    return not events.PURE
