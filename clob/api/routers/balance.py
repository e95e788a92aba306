"""On-chain balance and allowance to the exchange (L2), in 6-decimal base units, from the cached chain view: the
signer's own, or with ``signature_type=1|2`` its proxy wallet's / Safe's (the funder of its wallet orders).

``/balance-allowance/update`` is a GET (as py-clob-client calls it) that re-reads the chain before answering.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from clob.api.deps import BalancesPart, L2User, ReadsPart
from clob.api.responses import JSON
from clob.service.chain_view import Holding

router = APIRouter(prefix="/balance-allowance", tags=["balance"])


def _json(holding: Holding, exchange: str) -> Response:
    allowance = str(holding.allowance)
    return JSON({"balance": str(holding.balance), "allowance": allowance, "allowances": {exchange: allowance}})


@router.get("", summary="Balance and allowance of COLLATERAL or a CONDITIONAL token")
async def get_balance_allowance(
    creds: L2User,
    balances: BalancesPart,
    reads: ReadsPart,
    asset_type: str | None = None,
    token_id: str | None = None,
    signature_type: str | None = None,
) -> Response:
    holding = await balances.balance_allowance(
        creds, asset_type, token_id, refresh=False, signature_type=signature_type
    )
    return _json(holding, reads.exchange_address)


@router.get("/update", summary="Refresh the cached balance and allowance from the chain, then answer")
async def update_balance_allowance(
    creds: L2User,
    balances: BalancesPart,
    reads: ReadsPart,
    asset_type: str | None = None,
    token_id: str | None = None,
    signature_type: str | None = None,
) -> Response:
    holding = await balances.balance_allowance(creds, asset_type, token_id, refresh=True, signature_type=signature_type)
    return _json(holding, reads.exchange_address)
