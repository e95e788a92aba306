"""Compile the Solidity sources with the real compiler (npm `solc`, WebAssembly) driven by py-solc-x.

One place holds compiler versions and settings: ``contracts/compiler.json`` (``hardhat.config.js`` reads it too).
Artifacts (ABI, creation and runtime bytecode) go to ``build/contracts/<Name>.json``. The build is cached on a
SHA-256 over the compiler config, every source file, the shim and the compiler package versions: when nothing
changed, ``build()`` only reads one small file.

ConditionalTokens is compiled from the Gnosis npm package's own 0.5.x source with the matching npm compiler, and the
Gnosis Safe (singleton, proxy, fallback handler) from ``@safe-global/safe-smart-account``'s sources with the package's
own 0.7.6 settings, together with our Safe factory (``contracts/safe``); ``tests/unit/chain/test_build.py`` proves
their runtime bytecode equals the packages' shipped artifacts.

Run ``python -m chain.build [--force]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIG_PATH = ROOT / "contracts" / "compiler.json"
SHIM_PATH = ROOT / "contracts" / "tools" / "solc-shim.cjs"
BUILD_DIR = ROOT / "build" / "contracts"
STAMP_PATH = BUILD_DIR / ".build-hash"

_OUTPUTS = ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.methodIdentifiers"]


class CompileError(Exception):
    """Raised when solc reports errors; the message names file, line and column of each."""


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What ``build`` did: whether it compiled, and the cache key it used."""

    compiled: bool
    digest: str
    artifacts: tuple[str, ...]


def load_config() -> dict[str, Any]:
    """The compiler configuration shared with Hardhat."""
    config: dict[str, Any] = json.loads(CONFIG_PATH.read_text())
    return config


def node_binary() -> str:
    """The Node.js used to run the compiler: the project's Node 22 if installed, else the system one."""
    local = ROOT / "node_modules" / ".bin" / "node"
    if local.exists():
        return str(local)
    found = shutil.which("node")
    if found is None:
        raise CompileError("node is not installed: run `make bootstrap`")
    return found


def solc_executable(npm_package: str) -> Path:
    """A small executable that py-solc-x can call as `solc`, bound to one npm compiler package."""
    package_json = ROOT / "node_modules" / npm_package / "package.json"
    if not package_json.exists():
        raise CompileError(f"npm package {npm_package!r} is missing: run `make bootstrap`")
    bin_dir = ROOT / "build" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    wrapper = bin_dir / f"solc-{npm_package}"
    script = f'#!/bin/sh\nexec "{node_binary()}" "{SHIM_PATH}" --package "{npm_package}" "$@"\n'
    if not wrapper.exists() or wrapper.read_text() != script:
        tmp = wrapper.with_suffix(".tmp")
        tmp.write_text(script)
        tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        tmp.replace(wrapper)
    return wrapper


def exchange_sources(config: dict[str, Any]) -> dict[str, Path]:
    """Every Solidity file of ours, keyed by its path relative to the repository root."""
    src = ROOT / config["exchange"]["sources"]
    return {p.relative_to(ROOT).as_posix(): p for p in sorted(src.rglob("*.sol"))}


def safe_sources(config: dict[str, Any]) -> dict[str, Path]:
    """Our Solidity files compiled with the Safe's compiler (they import the Safe package's sources)."""
    src = ROOT / config["safe"]["sources"]
    return {p.relative_to(ROOT).as_posix(): p for p in sorted(src.rglob("*.sol"))}


def _package_version(npm_package: str) -> str:
    package_json = ROOT / "node_modules" / npm_package / "package.json"
    if not package_json.exists():
        return "missing"
    return str(json.loads(package_json.read_text()).get("version", "?"))


def _imported_packages() -> list[str]:
    return ["@openzeppelin/contracts", "@gnosis.pm/conditional-tokens-contracts", "@safe-global/safe-smart-account"]


def build_digest(config: dict[str, Any]) -> str:
    """Cache key: config, our sources, the shim, and the versions of every compiler and library package."""
    h = hashlib.sha256()
    h.update(CONFIG_PATH.read_bytes())
    h.update(SHIM_PATH.read_bytes())
    h.update(Path(__file__).read_bytes())
    for name, path in {**exchange_sources(config), **safe_sources(config)}.items():
        h.update(name.encode())
        h.update(path.read_bytes())
    for section in ("exchange", "ctf", "safe"):
        h.update(_package_version(config[section]["npm_package"]).encode())
    for package in _imported_packages():
        h.update(_package_version(package).encode())
    return h.hexdigest()


def _line_col(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _format_errors(errors: list[dict[str, Any]], sources: dict[str, str]) -> str:
    lines = []
    for err in errors:
        if err.get("severity") != "error":
            continue
        loc = err.get("sourceLocation") or {}
        file = loc.get("file", "<unknown>")
        where = file
        text = sources.get(file)
        if text is None and (ROOT / file).exists():
            text = (ROOT / file).read_text()
        if text is not None and isinstance(loc.get("start"), int) and loc["start"] >= 0:
            line, col = _line_col(text, loc["start"])
            where = f"{file}:{line}:{col}"
        lines.append(f"{where}: {err.get('type', 'Error')}: {err.get('message', '').strip()}")
    return "\n".join(lines)


def compile_standard(npm_package: str, sources: dict[str, str], settings: dict[str, Any]) -> dict[str, Any]:
    """Compile with py-solc-x through the shim; raise ``CompileError`` naming file:line:col on errors."""
    # Imported only when a compile runs: every process that reads artifacts (the API, the batcher) imports this
    # module, and none of them compiles.
    import solcx
    from solcx.exceptions import SolcError

    standard_input = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": {**settings, "outputSelection": {"*": {"*": _OUTPUTS}}},
    }
    try:
        output: dict[str, Any] = solcx.compile_standard(
            standard_input, solc_binary=solc_executable(npm_package), base_path=str(ROOT)
        )
    except SolcError as exc:
        errors: list[dict[str, Any]] = exc.error_dict if isinstance(exc.error_dict, list) else []
        message = _format_errors(errors, sources) or str(exc).splitlines()[0]
        raise CompileError(f"compilation failed ({npm_package}):\n{message}") from None
    return output


def _write_artifacts(output: dict[str, Any], keep: set[str] | None, source_of: dict[str, str]) -> list[str]:
    written = []
    for source_name, contracts in output.get("contracts", {}).items():
        for name, data in contracts.items():
            if keep is not None and name not in keep:
                continue
            if source_name not in source_of and keep is None:
                continue
            artifact = {
                "contractName": name,
                "sourceName": source_name,
                "abi": data["abi"],
                "bytecode": "0x" + data["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + data["evm"]["deployedBytecode"]["object"],
                "methodIdentifiers": data["evm"].get("methodIdentifiers", {}),
            }
            path = BUILD_DIR / f"{name}.json"
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(artifact, indent=1))
            tmp.replace(path)
            written.append(name)
    return written


def build(force: bool = False) -> BuildResult:
    """Compile everything unless the cache says nothing changed."""
    config = load_config()
    digest = build_digest(config)
    if not force and STAMP_PATH.exists() and STAMP_PATH.read_text().strip() == digest:
        names = tuple(sorted(p.stem for p in BUILD_DIR.glob("*.json")))
        return BuildResult(compiled=False, digest=digest, artifacts=names)

    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    written: list[str] = []

    ours = {name: path.read_text() for name, path in exchange_sources(config).items()}
    if ours:
        out = compile_standard(config["exchange"]["npm_package"], ours, config["exchange"]["settings"])
        written += _write_artifacts(out, None, ours)

    ctf_cfg = config["ctf"]
    ctf_source_name = ctf_cfg["source"].removeprefix("node_modules/")
    ctf_text = (ROOT / ctf_cfg["source"]).read_text()
    out = compile_standard(ctf_cfg["npm_package"], {ctf_source_name: ctf_text}, ctf_cfg["settings"])
    written += _write_artifacts(out, {"ConditionalTokens"}, {ctf_source_name: ctf_text})

    safe_cfg = config["safe"]
    safe_texts = {name: path.read_text() for name, path in safe_sources(config).items()}
    out = compile_standard(safe_cfg["npm_package"], safe_texts, safe_cfg["settings"])
    written += _write_artifacts(out, set(safe_cfg["contracts"]), safe_texts)

    STAMP_PATH.write_text(digest + "\n")
    return BuildResult(compiled=True, digest=digest, artifacts=tuple(sorted(written)))


def load_artifact(name: str) -> dict[str, Any]:
    """The ABI and bytecode of one compiled contract (building first if needed)."""
    path = BUILD_DIR / f"{name}.json"
    if not STAMP_PATH.exists() or not path.exists():
        build()
    artifact: dict[str, Any] = json.loads(path.read_text())
    return artifact


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--force", action="store_true", help="ignore the cache and compile everything")
    args = parser.parse_args(argv)
    try:
        result = build(force=args.force)
    except CompileError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    state = "compiled" if result.compiled else "up to date"
    print(f"contracts {state}: {', '.join(result.artifacts)} (build {result.digest[:12]})")
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    raise SystemExit(main())
