"""The explorer router's edges: every bad input is a 400 ``{"error"}``, nothing to show is a 404, success a 200.

The happy paths over real indexed trades are in ``tests/integration/reconcile/test_reconcile_chain.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from reconcile.api import router
from store import connect_database

ADDRESS = "0x" + "ab" * 20
HASH = "0x" + "cd" * 32


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    db = connect_database(f"sqlite:///{tmp_path / 'api.db'}")
    app = FastAPI()
    app.state.service = SimpleNamespace(db=db)  # the exchange service's database when no indexer_db is set
    app.include_router(router)
    yield TestClient(app)
    db.dispose()


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/chain/trades/tx/0x12", {}, "invalid transaction hash"),
        ("/chain/trades/user/nope", {}, "invalid address"),
        (f"/chain/trades/user/{ADDRESS}", {"limit": "0"}, "limit must be"),
        (f"/chain/trades/user/{ADDRESS}", {"limit": "1001"}, "limit must be"),
        (f"/chain/trades/user/{ADDRESS}", {"before": "12"}, "before must be"),
        (f"/chain/trades/market/{HASH}", {"confirmed_only": "yes"}, "confirmed_only must be"),
        (f"/chain/trades/market/{ADDRESS}", {}, "invalid condition id"),
        ("/chain/orders/0x", {}, "invalid order hash"),
        ("/chain/positions/0x12", {}, "invalid address"),
        ("/chain/markets/0x12/resolution", {}, "invalid condition id"),
        ("/chain/discrepancies", {"status": "closed"}, "status must be"),
        ("/chain/discrepancies", {"kind": "NOPE"}, "unknown kind"),
        ("/chain/discrepancies", {"offset": "-1"}, "offset must be"),
    ],
)
def test_bad_input_is_a_400_with_an_error(client: TestClient, path: str, params: dict[str, str], message: str) -> None:
    resp = client.get(path, params=params)
    assert resp.status_code == 400
    assert list(resp.json()) == ["error"]
    assert message in resp.json()["error"]


def test_nothing_to_show(client: TestClient) -> None:
    assert client.get("/chain/status").status_code == 404
    assert client.get("/chain/status").json() == {"error": "indexer 'main' has not run yet"}
    assert client.get(f"/chain/markets/{HASH}/resolution").json() == {"error": "condition not found on chain"}
    empty = client.get(f"/chain/trades/tx/{HASH.upper().replace('0X', '0x')}")
    assert (empty.status_code, empty.json()) == (200, {"tx_hash": HASH, "fills": [], "matches": [], "trades": []})
    assert client.get(f"/chain/trades/user/{ADDRESS}", params={"before": "9:1"}).json() == {
        "data": [],
        "next_before": None,
    }
    assert client.get(f"/chain/positions/{ADDRESS.upper().replace('0X', '0x')}").json() == {
        "address": ADDRESS,
        "positions": [],
    }
    order = client.get(f"/chain/orders/{HASH}").json()
    assert (order["fills"], order["cancelled"], order["making_filled"]) == ([], False, "0")
    assert client.get("/chain/discrepancies", params={"status": "all", "kind": "FILL_WITHOUT_TRADE"}).json() == {
        "data": [],
        "next_offset": None,
    }
