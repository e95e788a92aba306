"""End to end through the run command's stack (``python -m scripts.run_stack``, what ``make run`` starts).

Create a market (CLI: oracle question → condition → registered tokens → book) → two traders post crossing orders
with Polymarket's py-clob-client → the trade is CONFIRMED on chain and the indexer has its fills → the oracle
resolves after a dispute window → the book cancels resting orders (CANCELED_MARKET_RESOLVED) → the winner redeems
collateral and every balance is exact.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from py_clob_client.clob_types import ContractConfig, OrderArgs, OrderType

from chain.anvil import dev_key, free_port
from chain.deploy import Manifest
from chain.markets import propose, redeem, settle
from chain.rpc import Signer, connect, contract_at

ROOT = Path(__file__).resolve().parents[3]
USDC = 1_000_000
LIVENESS = 120


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[dict[str, Any]]:
    api_port, chain_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "POLYCLOB_DATABASE_URL"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.run_stack", "--api-port", str(api_port), "--chain-port", str(chain_port),
         "--state-dir", str(tmp_path)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=(tmp_path / "stack.err").open("wb"), text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = ""
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("{") or proc.poll() is not None:
                break
        assert line.startswith("{"), (tmp_path / "stack.err").read_text()[-3000:]
        info = json.loads(line)
        info["state_dir"] = tmp_path
        yield info
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for(predicate: Any, timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_market_lifecycle_through_the_stack(stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from py_clob_client.client import ClobClient

    # The stack's summary line says where everything is.
    for key in ("api_url", "ws_url", "rpc_url", "chain_id", "exchange", "collateral", "ctf", "markets", "demo_traders"):
        assert key in stack
    api = stack["api_url"]
    state: Path = stack["state_dir"]
    assert httpx.get(f"{api}/book", params={"token_id": stack["markets"][0]["token_ids"][0]}).json()["bids"]

    # 1. Create a market from the CLI: on chain (oracle, condition, registry) and in the book.
    created = subprocess.run(
        [sys.executable, "-m", "chain.markets", "create", "--question", "Will the e2e test pass?",
         "--state-dir", str(state), "--api-url", api, "--liveness", str(LIVENESS), "--bond", str(5 * USDC)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr
    market = json.loads(created.stdout.strip().splitlines()[-1])
    yes, no = (int(t) for t in market["token_ids"])
    assert httpx.get(f"{api}/markets/{market['condition_id']}").status_code == 200

    # 2. Two traders post crossing orders with Polymarket's own client.
    manifest = Manifest.load(state / "deployment.json")
    config = ContractConfig(exchange=stack["exchange"], collateral=stack["collateral"], conditional_tokens=stack["ctf"])
    monkeypatch.setattr("py_clob_client.order_builder.builder.get_contract_config", lambda *_a, **_k: config)
    monkeypatch.setattr("py_clob_client.client.get_contract_config", lambda *_a, **_k: config)
    alice_key, bob_key = stack["demo_traders"]
    alice = ClobClient(api, chain_id=stack["chain_id"], key=alice_key)
    bob = ClobClient(api, chain_id=stack["chain_id"], key=bob_key)
    for client in (alice, bob):
        client.set_api_creds(client.create_or_derive_api_creds())
    w3 = connect(stack["rpc_url"])
    usdc: Any = contract_at(w3, "MockUSDC", stack["collateral"])
    ctf: Any = contract_at(w3, "ConditionalTokens", stack["ctf"])
    alice_addr, bob_addr = Signer.from_key(w3, alice_key).address, Signer.from_key(w3, bob_key).address
    usdc0 = {a: usdc.functions.balanceOf(a).call() for a in (alice_addr, bob_addr)}

    # Alice buys 100 YES at 0.60 (MINT against Bob's BUY NO at 0.40): both pay collateral, nobody needs tokens.
    bob_order = bob.create_order(OrderArgs(token_id=str(no), price=0.40, size=100.0, side="BUY"))
    assert bob.post_order(bob_order, OrderType.GTC)["status"] == "live"
    alice_order = alice.create_order(OrderArgs(token_id=str(yes), price=0.60, size=100.0, side="BUY"))
    placed = alice.post_order(alice_order, OrderType.GTC)
    assert placed["status"] == "matched"
    # A resting order that resolution must cancel.
    resting = bob.post_order(bob.create_order(OrderArgs(token_id=str(no), price=0.30, size=20.0, side="BUY")))
    assert resting["status"] == "live"

    # 3. The batcher settles it: CONFIRMED, and on chain the balances are what the engine computed.
    def confirmed() -> Any:
        trades = alice.get_trades()
        return trades if trades and all(t["status"] == "CONFIRMED" for t in trades) else None

    trades = wait_for(confirmed, 90, "the trade to be CONFIRMED")
    assert trades[0]["transaction_hash"].startswith("0x")
    assert ctf.functions.balanceOf(alice_addr, yes).call() == 100 * USDC
    assert ctf.functions.balanceOf(bob_addr, no).call() == 100 * USDC
    assert usdc0[alice_addr] - usdc.functions.balanceOf(alice_addr).call() == 60 * USDC
    assert usdc0[bob_addr] - usdc.functions.balanceOf(bob_addr).call() == 40 * USDC

    # The settlement batch is published with the journal head hash of the trade it settled (for auditors).
    batches = httpx.get(f"{api}/audit/settlements").json()["data"]
    ours = next(b for b in batches if trades[0]["id"] in b["trade_ids"])
    assert ours["transaction_hash"] == trades[0]["transaction_hash"]
    assert len(ours["journal_hash"]) == 64
    assert ours["journal_seq"] > 0

    # Reconciliation: the indexed chain agrees with the book (once the indexer has the settlement block).
    def reconciled() -> Any:
        out = subprocess.run(
            [sys.executable, "-m", "reconcile", "--db", f"sqlite:///{state / 'polyclob.db'}", "--json"],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if out.returncode not in (0, 2) or not out.stdout.strip():
            return None
        report = json.loads(out.stdout.strip().splitlines()[-1])
        return report if report.get("stats", {}).get("trades", 0) >= 1 else None

    report = wait_for(reconciled, 60, "a reconciliation that checked the trade")
    assert report["found"] == 0, report["discrepancies"]

    # Operators see it too: settlement caught up, the indexer following the chain.
    metrics = httpx.get(f"{api}/metrics").text
    assert 'polyclob_trades{status="CONFIRMED"}' in metrics
    assert "polyclob_indexer_last_block" in metrics

    # 4. The oracle resolves YES after the dispute window.
    proposer = Signer.from_key(w3, dev_key(5))
    admin = Signer.from_key(w3, dev_key(0))
    admin.transact(usdc.functions.mint(proposer.address, 5 * USDC))
    propose(proposer, manifest, market["question_id"], 0)
    w3.provider.make_request("evm_increaseTime", [LIVENESS + 1])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    settle(admin, manifest, market["question_id"])

    # 5. The indexer sees ConditionResolution; the book closes and cancels the resting order.
    def cancelled() -> Any:
        got = bob.get_order(resting["orderID"])
        return got if got and got["status"] == "CANCELED_MARKET_RESOLVED" else None

    wait_for(cancelled, 60, "the resting order to be cancelled by the resolution")
    # the resolution watcher named the winner from the payout vector: YES
    tokens = httpx.get(f"{api}/markets/{market['condition_id']}").json()["tokens"]
    assert [(t["outcome"], t["winner"]) for t in tokens] == [("Yes", True), ("No", False)]
    with pytest.raises(Exception, match=r"(?i)market is closed|not accepting|resolved"):
        bob.post_order(bob.create_order(OrderArgs(token_id=str(no), price=0.30, size=20.0, side="BUY")))

    # 6. The winner redeems: 100 YES pay exactly 100 USDC; Bob's 100 NO pay nothing.
    before = usdc.functions.balanceOf(alice_addr).call()
    redeemed = subprocess.run(
        [sys.executable, "-m", "chain.markets", "redeem", "--condition-id", market["condition_id"],
         "--key", alice_key, "--state-dir", str(state)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert json.loads(redeemed.stdout.strip().splitlines()[-1]) == {"redeemed": 100 * USDC}, redeemed.stderr
    assert usdc.functions.balanceOf(alice_addr).call() == before + 100 * USDC
    assert ctf.functions.balanceOf(alice_addr, yes).call() == 0
    assert redeem(Signer.from_key(w3, bob_key), manifest, market["condition_id"]) == 0
