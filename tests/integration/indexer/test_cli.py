"""``python -m indexer``: catch up once from a deployment manifest, then report the cursor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.__main__ import main
from store import Database
from store.queries import chain as queries
from tests.integration.indexer.world import USDC, World


def test_run_once_then_status(world: World, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alice = world.signer(2)
    c = world.prepare("CLI", world.signer(1))
    world.fund(alice, 10 * USDC)
    world.split(alice, c, 4 * USDC)
    manifest = tmp_path / "deployment.json"
    world.manifest.save(manifest)

    assert main(["--manifest", str(manifest), "--db", db.url, "--confirmations", "2", "--once"]) == 0
    ran = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert ran["logs"] > 0
    assert {p.token_id for p in queries.positions_by_user(db, alice.address)} == {c.yes, c.no}

    world.anvil.mine(3)
    assert main(["status", "--db", db.url, "--rpc-url", world.anvil.url]) == 0
    status = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert status["last_indexed_block"] == world.head - 3
    assert status["lag_blocks"] == 3
