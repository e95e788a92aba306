"""A fresh anvil chain with the contracts deployed, two registered markets (fee 0 and fee 1 %), funded traders,
a database and a running sequencer that turns signed orders into real trades — the batcher's whole world.

Each test gets its own chain (``anvil_reorg`` and the session chain's snapshot/revert do not mix, and the crash
tests run the batcher in other processes). Helpers compute what the engine says every balance must become, and
count the exchange's ``OrderFilled`` events per order hash to prove each fill settled exactly once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from web3 import Web3

from chain.anvil import Anvil, dev_key
from chain.deploy import Manifest
from chain.exchange import ZERO_ADDRESS, Order, Side, hash_order, sign
from chain.markets import Market, fund_account, prepare_market
from chain.rpc import Signer, connect, contract_at
from clob.engine import CreateMarket, MarketId, OrderType, PlaceOrder, TokenId
from clob.engine import Side as EngineSide
from clob.engine.types import Address, BaseUnits, UnixSeconds
from clob.service.sequencer import Outcome, Sequencer
from clob.service.submission import UNSEQUENCED, Submission
from orders import StoredTrade
from settlement import Batcher, SettlementConfig, create_batcher
from settlement.matches import order_to_json, taker_spend
from store import Database, connect_database
from store.schema import trades

ROOT = Path(__file__).resolve().parents[3]
USDC = 10**6
TRADERS = 6  # dev accounts 1..6; 0 is deployer and operator
COLLATERAL = 0
KEYS = [dev_key(i + 1) for i in range(TRADERS)]  # HD derivation is slow (~60/s): once
ORDER_FILLED = "0x" + Web3.keccak(
    text="OrderFilled(bytes32,address,address,uint256,uint256,uint256,uint256,uint256)"
).hex().removeprefix("0x")


@dataclass
class World:
    anvil: Anvil
    w3: Web3
    manifest: Manifest
    manifest_path: Path
    db_url: str
    db: Database
    operator: Signer
    usdc: Any
    ctf: Any
    exchange: Any
    markets: list[Market]
    fees: list[int]
    traders: list[Signer]
    sequencer: Sequencer
    salt: int = 10_000
    placed: dict[str, Order] = field(default_factory=dict)

    # -- orders and trades --------------------------------------------------------------------------------
    @property
    def chain_id(self) -> int:
        return self.manifest.chain_id

    def order(self, who: int, market: int, outcome: int, side: Side, cents: int, shares: int) -> Order:
        """A signed GTC order of trader ``who`` on ``markets[market]``, outcome 0 (YES) or 1 (NO)."""
        self.salt += 1
        m = self.markets[market]
        token = m.yes if outcome == 0 else m.no
        base = shares * USDC
        usdc = shares * cents * 10_000
        maker_amount, taker_amount = (usdc, base) if side == Side.BUY else (base, usdc)
        trader = self.traders[who]
        order = Order(
            self.salt,
            trader.address,
            trader.address,
            ZERO_ADDRESS,
            token,
            maker_amount,
            taker_amount,
            0,
            0,
            self.fees[market],
            side,
        )
        return sign(order, KEYS[who], self.chain_id, self.exchange.address)

    def order_id(self, order: Order) -> str:
        return "0x" + hash_order(order, self.chain_id, self.exchange.address).hex()

    def place(self, who: int, market: int, outcome: int, side: Side, cents: int, shares: int) -> tuple[str, Outcome]:
        """Sign an order and submit it to the sequencer as the API would (its JSON in the journal meta)."""
        order = self.order(who, market, outcome, side, cents, shares)
        oid = self.order_id(order)
        self.placed[oid] = order
        now = UnixSeconds(int(time.time()))
        m = self.markets[market]
        sub = Submission(
            PlaceOrder(
                UNSEQUENCED,
                now,
                oid,  # type: ignore[arg-type]
                Address(order.maker.lower()),
                TokenId(order.token_id),
                EngineSide(int(side)),
                BaseUnits(order.maker_amount),
                BaseUnits(order.taker_amount),
                order.fee_rate_bps,
                UnixSeconds(0),
                OrderType.GTC,
            ),
            meta={
                "owner": f"key-{who}",
                "market": "0x" + m.condition_id.hex(),
                "price": f"0.{cents:02d}",
                "order": order_to_json(order),
            },
        )
        outcome_ = self.sequencer.submit(sub).result(timeout=30)
        assert outcome_.rejected is None, outcome_.rejected
        return oid, outcome_

    def trade_rows(self) -> list[Any]:
        with self.db.engine.connect() as conn:
            return list(conn.execute(select(trades).order_by(trades.c.journal_seq)).all())

    def statuses(self) -> dict[str, str]:
        return {r.trade_id: r.status for r in self.trade_rows()}

    # -- chain --------------------------------------------------------------------------------------------
    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def assets(self) -> list[int]:
        return [COLLATERAL] + [t for m in self.markets for t in (m.yes, m.no)]

    def holders(self) -> list[str]:
        return [self.operator.address] + [t.address for t in self.traders]

    def balances(self) -> dict[tuple[str, int], int]:
        out: dict[tuple[str, int], int] = {}
        for h in self.holders():
            for a in self.assets():
                if a == COLLATERAL:
                    out[(h.lower(), a)] = int(self.usdc.functions.balanceOf(h).call())
                else:
                    out[(h.lower(), a)] = int(self.ctf.functions.balanceOf(h, a).call())
        return out

    def filled_counts(self) -> Counter[str]:
        """``OrderFilled`` events per order hash on the canonical chain."""
        logs = self.w3.eth.get_logs(
            {
                "address": self.exchange.address,
                "fromBlock": self.manifest.deploy_block,
                "toBlock": "latest",
                "topics": [ORDER_FILLED],
            }
        )
        return Counter("0x" + bytes(log["topics"][1]).hex() for log in logs)

    def reset_nonces(self) -> None:
        for s in [self.operator, *self.traders]:
            s.nonce = None

    # -- batcher ------------------------------------------------------------------------------------------
    def batcher(self, rpc_url: str | None = None, **overrides: Any) -> Batcher:
        settings: dict[str, Any] = {"confirmations": 2, "flush_interval": 0.0, "poll_interval": 0.05}
        settings.update(overrides)
        return create_batcher(self.manifest, self.db_url, dev_key(0), SettlementConfig(**settings), rpc_url)

    def settle(self, batcher: Batcher, timeout: float = 60.0, mine: bool = True) -> None:
        """Step (mining a block between steps) until nothing is pending or in flight."""
        deadline = time.monotonic() + timeout
        batcher.recover()
        while time.monotonic() < deadline:
            batcher.step()
            if batcher.idle():
                return
            if mine:
                self.anvil.mine()
        raise AssertionError(f"not settled in {timeout}s: {self.statuses()}")

    def cli(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        """Run ``python -m settlement`` against this world in another process."""
        cmd = [
            sys.executable,
            "-m",
            "settlement",
            "--manifest",
            str(self.manifest_path),
            "--db",
            self.db_url,
            "--key",
            dev_key(0),
            "--poll-interval",
            "0.05",
            "--flush-interval",
            "0.05",
            *args,
        ]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)

    # -- expectations -------------------------------------------------------------------------------------
    def expected_deltas(self, payloads: Sequence[Mapping[str, Any]]) -> Counter[tuple[str, int]]:
        """What the engine's trades say every balance must change by: each maker gives ``making`` and gets
        ``taking - fee``; the taker gives what the makers consume and gets ``taker_taking - taker_fee``; the
        operator gets every fee."""
        delta: Counter[tuple[str, int]] = Counter()
        op = self.operator.address.lower()
        for p in payloads:
            token = int(p["token_id"])
            taker = str(p["taker"]).lower()
            give, get = (COLLATERAL, token) if p["side"] == "BUY" else (token, COLLATERAL)
            delta[(taker, give)] -= taker_spend(StoredTrade.from_payload(p))
            delta[(taker, get)] += int(p["taker_taking"]) - int(p["taker_fee"])
            delta[(op, get)] += int(p["taker_fee"])
            for m in p["makers"]:
                maker = str(m["maker"]).lower()
                mtoken = int(m["token_id"])
                mgive, mget = (COLLATERAL, mtoken) if m["side"] == "BUY" else (mtoken, COLLATERAL)
                delta[(maker, mgive)] -= int(m["making"])
                delta[(maker, mget)] += int(m["taking"]) - int(m["fee"])
                delta[(op, mget)] += int(m["fee"])
        return delta

    def expected_fills(self, payloads: Sequence[Mapping[str, Any]]) -> Counter[str]:
        out: Counter[str] = Counter()
        for p in payloads:
            out[str(p["taker_order_id"])] += 1
            for m in p["makers"]:
                out[str(m["order_id"])] += 1
        return out

    def payloads(self, statuses: Sequence[str] = ("CONFIRMED",)) -> list[dict[str, Any]]:
        return [json.loads(r.payload) for r in self.trade_rows() if r.status in statuses]

    def assert_settled_exactly_once(self, before: Mapping[tuple[str, int], int]) -> None:
        """Every CONFIRMED trade's fills are on chain exactly once and nothing else is; balances are the engine's."""
        confirmed = self.payloads()
        assert self.filled_counts() == self.expected_fills(confirmed)
        after = self.balances()
        delta = self.expected_deltas(confirmed)
        for key in after:
            assert after[key] - before[key] == delta.get(key, 0), f"balance of {key}"


def deploy_built(rpc_url: str) -> Manifest:
    """``chain.deploy.deploy`` from the artifacts already in ``build/`` (no compile step: the contract
    sources may be mid-edit by someone else while these tests run)."""
    w3 = connect(rpc_url)
    signer = Signer.from_key(w3, dev_key(0))
    start = int(w3.eth.block_number)
    usdc = signer.deploy("MockUSDC", signer.address)
    ctf = signer.deploy("ConditionalTokens")
    exchange = signer.deploy("Exchange", usdc.address, ctf.address, ZERO_ADDRESS, ZERO_ADDRESS)
    return Manifest(
        chain_id=int(w3.eth.chain_id),
        rpc_url=rpc_url,
        deploy_block=start + 1,
        deployer=signer.address,
        operator=signer.address,
        contracts={"collateral": str(usdc.address), "ctf": str(ctf.address), "exchange": str(exchange.address)},
    )


def start_world(db_url: str, tmp: Path, block_time: float | None = None) -> Iterator[World]:
    with Anvil(block_time=block_time) as node:
        manifest = deploy_built(node.url)
        manifest_path = tmp / "deployment.json"
        manifest.save(manifest_path)
        w3 = connect(node.url)
        operator = Signer.from_key(w3, dev_key(0))
        usdc = contract_at(w3, "MockUSDC", manifest.contracts["collateral"])
        ctf = contract_at(w3, "ConditionalTokens", manifest.contracts["ctf"])
        exchange = contract_at(w3, "Exchange", manifest.contracts["exchange"])
        markets = [
            prepare_market(operator, exchange, ctf, usdc.address, q.ljust(32, b"\0"))
            for q in (b"settle-a", b"settle-b")
        ]
        traders = [Signer.from_key(w3, dev_key(i + 1)) for i in range(TRADERS)]
        for t in traders:
            fund_account(operator, t, usdc, ctf, exchange.address, 100_000 * USDC, 50_000 * USDC, markets)
        db = connect_database(db_url)
        sequencer = Sequencer(db, "main")
        sequencer.start()
        fees = [0, 100]
        now = UnixSeconds(int(time.time()))
        for m, fee in zip(markets, fees, strict=True):
            market_id = MarketId("0x" + m.condition_id.hex())
            sub = Submission(
                CreateMarket(UNSEQUENCED, now, market_id, TokenId(m.yes), TokenId(m.no), 2, BaseUnits(USDC), fee),
                meta={"question": "settlement test"},
            )
            sequencer.submit(sub).result(timeout=30)
        world = World(
            node,
            w3,
            manifest,
            manifest_path,
            db_url,
            db,
            operator,
            usdc,
            ctf,
            exchange,
            markets,
            fees,
            traders,
            sequencer,
        )
        try:
            yield world
        finally:
            sequencer.stop()
            db.dispose()


class Miner:
    """Mines a block every ``interval`` seconds on a background thread (automine stays on)."""

    def __init__(self, anvil: Anvil, interval: float = 0.2) -> None:
        self.anvil = anvil
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.anvil.mine()
            except Exception:
                return

    def __enter__(self) -> Miner:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
