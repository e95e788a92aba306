"""The contract build: cache, compile errors, CTF bytecode provenance, and Hardhat/py-solc-x equivalence."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from chain import build as build_mod

ROOT = build_mod.ROOT


def strip_metadata(code: str) -> str:
    """Runtime bytecode without the CBOR metadata trailer (its length is the last two bytes)."""
    raw = bytes.fromhex(code.removeprefix("0x"))
    cbor_len = int.from_bytes(raw[-2:], "big")
    return raw[: -(cbor_len + 2)].hex()


def test_noop_build_is_cached_and_fast() -> None:
    build_mod.build()
    start = time.perf_counter()
    result = build_mod.build()
    elapsed = time.perf_counter() - start
    assert not result.compiled
    assert elapsed < 1.0
    assert "ConditionalTokens" in result.artifacts
    assert "MockUSDC" in result.artifacts


def test_digest_changes_with_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = build_mod.load_config()
    before = build_mod.build_digest(config)
    src = tmp_path / "src"
    shutil.copytree(ROOT / config["exchange"]["sources"], src)
    (src / "Extra.sol").write_text("// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\ncontract Extra {}\n")
    monkeypatch.setattr(build_mod, "ROOT", tmp_path)
    monkeypatch.setitem(config["exchange"], "sources", "src")
    monkeypatch.setattr(
        build_mod,
        "exchange_sources",
        lambda c: {p.relative_to(tmp_path).as_posix(): p for p in sorted(src.rglob("*.sol"))},
    )
    assert build_mod.build_digest(config) != before


def test_syntax_error_names_file_and_line() -> None:
    source = "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\n\ncontract Broken {\n    uint x = ;\n}\n"
    with pytest.raises(build_mod.CompileError) as info:
        build_mod.compile_standard("solc", {"contracts/src/Broken.sol": source}, {"optimizer": {"enabled": False}})
    message = str(info.value)
    assert "contracts/src/Broken.sol:5:" in message
    assert "ParserError" in message
    assert "Traceback" not in message


def test_cli_reports_compile_error_without_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = (
        "import sys\n"
        "from chain import build as b\n"
        "try:\n"
        "    b.compile_standard('solc', {'x/Bad.sol': 'pragma solidity 0.8.30;\\ncontract {'}, {})\n"
        "except b.CompileError as e:\n"
        "    print(e, file=sys.stderr); sys.exit(1)\n"
    )
    proc = subprocess.run([str(ROOT / ".venv/bin/python"), "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert "x/Bad.sol:2:" in proc.stderr


def test_conditional_tokens_bytecode_is_the_npm_package_artifact() -> None:
    ours = build_mod.load_artifact("ConditionalTokens")
    shipped_path = ROOT / build_mod.load_config()["ctf"]["artifact"]
    shipped = json.loads(shipped_path.read_text())
    assert strip_metadata(ours["deployedBytecode"]) == strip_metadata(shipped["deployedBytecode"])
    assert len(ours["deployedBytecode"]) > 10_000


@pytest.mark.slow
def test_hardhat_compiles_the_same_runtime_bytecode() -> None:
    env = {**os.environ, "PATH": f"{ROOT / 'node_modules/.bin'}:{os.environ['PATH']}"}
    proc = subprocess.run(["npx", "hardhat", "compile"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    config = build_mod.load_config()
    names = build_mod.exchange_sources(config)
    assert names, "no sources to compare"
    compared = 0
    for source_name in names:
        folder = ROOT / "build/hardhat/artifacts" / source_name
        for artifact_path in folder.glob("*.json"):
            if artifact_path.name.endswith(".dbg.json"):
                continue
            hardhat = json.loads(artifact_path.read_text())
            if hardhat.get("deployedBytecode", "0x") in ("0x", ""):
                continue
            ours = build_mod.load_artifact(hardhat["contractName"])
            assert strip_metadata(hardhat["deployedBytecode"]) == strip_metadata(ours["deployedBytecode"])
            compared += 1
    assert compared >= 1


@pytest.mark.parametrize(
    ("name", "shipped_path"),
    [
        ("Safe", "contracts/Safe.sol/Safe.json"),
        ("SafeProxy", "contracts/proxies/SafeProxy.sol/SafeProxy.json"),
        (
            "CompatibilityFallbackHandler",
            "contracts/handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json",
        ),
    ],
)
def test_safe_bytecode_is_the_npm_package_artifact(name: str, shipped_path: str) -> None:
    """The Safe contracts are compiled from the npm package's sources with the package's own compiler settings,
    so their runtime bytecode is the package's shipped artifact but for the metadata hash."""
    ours = build_mod.load_artifact(name)
    artifacts = ROOT / build_mod.load_config()["safe"]["artifacts"]
    shipped = json.loads((artifacts / shipped_path).read_text())
    assert strip_metadata(ours["deployedBytecode"]) == strip_metadata(shipped["deployedBytecode"])
    assert len(ours["deployedBytecode"]) > 200


def test_safe_factory_is_built() -> None:
    factory = build_mod.load_artifact("SafeWalletFactory")
    names = {e.get("name") for e in factory["abi"]}
    assert {"masterCopy", "proxyCreationCode", "computeProxyAddress", "createSafe"} <= names
