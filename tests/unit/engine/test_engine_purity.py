"""The engine is a pure state machine: it imports only the standard library, and nothing that reads a clock,
draws randomness or does I/O."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import clob.engine

ENGINE_DIR = Path(clob.engine.__file__).parent
IMPURE = {"asyncio", "datetime", "http", "io", "os", "random", "secrets", "socket", "sqlite3", "subprocess"}
IMPURE |= {"threading", "time", "urllib", "uuid", "pathlib", "logging"}


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_engine_imports_only_pure_standard_library_modules() -> None:
    sources = sorted(ENGINE_DIR.glob("*.py"))
    assert len(sources) >= 10
    for source in sources:
        for root in _imported_roots(source) - {"clob", "__future__"}:
            assert root in sys.stdlib_module_names, f"{source.name} imports {root}"
            assert root not in IMPURE, f"{source.name} imports {root}"
