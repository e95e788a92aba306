"""``CLOB_ENGINE_PURE=1``: run the engine's tests against its pure Python source even where the compiled
extensions are built (`scripts/build_engine.py`). Run this directory on its own for that: another test directory
collected first may import the engine before this file is read."""

from __future__ import annotations

import os

import pure_python

if os.environ.get("CLOB_ENGINE_PURE"):
    pure_python.install()
