"""Which engine build the engine's tests run against.

- ``CLOB_ENGINE_PURE=1``: the pure Python source, even where the compiled extensions are built
  (`scripts/build_engine.py`).
- Compiled extensions that were not built from the current sources (an engine file edited since the last
  `make bootstrap`): the pure Python source too, so that every test exercises the code as it is now, and
  `test_engine_native` fails to say that the build is stale.

Either needs this directory to be collected before anything imports `clob.engine` (run it on its own for
``CLOB_ENGINE_PURE``; in a whole-suite run a stale build is still reported by `test_engine_native`).
"""

from __future__ import annotations

import os
import sys

import pure_python

from scripts import build_engine

PURE_REQUESTED = bool(os.environ.get("CLOB_ENGINE_PURE"))
STALE = "clob.engine" not in sys.modules and build_engine.built_stamp() not in (None, build_engine.source_hash())
if PURE_REQUESTED or STALE:
    pure_python.install()
