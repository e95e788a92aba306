"""`Balances`: traders' on-chain balances and allowances as the API shows them, and when cached ones are dropped.

The cached chain view (`clob.service.ports.ChainView`) is what order intake checks balances and nonces against;
a settled trade (a CONFIRMED status change) or a transfer the indexer saw makes its parties' entries stale.
Without a chain view (``Settings.check_balances`` false) the balance route answers 501 and nothing is cached.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from clob.auth import L2Credentials
from clob.service.chain_view import COLLATERAL, Holding
from clob.service.errors import ErrorCode, ServiceError
from clob.service.outcomes import parse_token_id
from clob.service.ports import ChainView
from clob.service.wallet_rules import funder_of
from orders.wallets import WalletRules


class Balances:
    """GET /balance-allowance(/update), and the cache's invalidation."""

    def __init__(self, chain: ChainView | None, wallets: WalletRules | None = None) -> None:
        self.chain = chain
        self.wallets = wallets

    async def balance_allowance(
        self,
        creds: L2Credentials,
        asset_type: str | None,
        token_id: str | None,
        refresh: bool,
        signature_type: str | None = None,
    ) -> Holding:
        """The user's on-chain balance and allowance to the exchange (cached; ``refresh`` re-reads the chain): of
        the signer itself, or with ``signature_type`` 1 / 2 of its proxy wallet / Safe (the funder)."""
        chain = self.chain
        if chain is None:
            raise ServiceError(ErrorCode.CHAIN_VIEW_DISABLED, "balance-allowance is not available on this server")
        try:
            holder = funder_of(self.wallets, signature_type, creds.address)
        except ValueError as exc:
            raise ServiceError(ErrorCode.INVALID_PAYLOAD, str(exc)) from None
        kind = (asset_type or "").upper()
        if kind == "COLLATERAL":
            asset = COLLATERAL
        elif kind == "CONDITIONAL":
            asset = parse_token_id(token_id)
        else:
            raise ServiceError(ErrorCode.INVALID_PAYLOAD, "asset_type must be COLLATERAL or CONDITIONAL")
        if refresh:
            await asyncio.to_thread(chain.nonce, holder, True)
        return await asyncio.to_thread(chain.holding, holder, asset, refresh)

    def on_trade_status(self, trade: Mapping[str, Any], status: str, tx_hash: str) -> None:
        """A settlement status change (a batcher row listener, or the bus): once a trade is CONFIRMED its parties'
        cached chain state is dropped, so their next order is checked against balances that reflect it (and the
        obligations it settled no longer count, `clob.service.obligations`)."""
        if status != "CONFIRMED" or self.chain is None:
            return
        parties = {str(trade.get("taker", ""))} | {str(m.get("maker", "")) for m in trade.get("makers", ())}
        for address in parties - {""}:
            self.chain.invalidate(address)

    def invalidate_chain_state(self, address: str, asset_id: int | None = None) -> None:
        """Forget cached balances (e.g. when the indexer sees a transfer or approval of ``address``)."""
        if self.chain is not None:
            self.chain.invalidate(address, asset_id)
