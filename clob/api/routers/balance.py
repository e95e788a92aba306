"""On-chain balance and allowance to the exchange (L2), in 6-decimal base units, from the cached chain view.

``/balance-allowance/update`` is a GET (as py-clob-client calls it) that re-reads the chain before answering.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from clob.api.deps import L2User, Service
from clob.api.responses import JSON
from clob.service.chain_view import Holding

router = APIRouter(prefix="/balance-allowance", tags=["balance"])


def _json(holding: Holding, exchange: str) -> Response:
    allowance = str(holding.allowance)
    return JSON({"balance": str(holding.balance), "allowance": allowance, "allowances": {exchange: allowance}})


@router.get("", summary="Balance and allowance of COLLATERAL or a CONDITIONAL token")
async def get_balance_allowance(
    creds: L2User,
    service: Service,
    asset_type: str | None = None,
    token_id: str | None = None,
    signature_type: str | None = None,
) -> Response:
    holding = await service.balance_allowance(creds, asset_type, token_id, refresh=False)
    return _json(holding, service.exchange_address)


@router.get("/update", summary="Refresh the cached balance and allowance from the chain, then answer")
async def update_balance_allowance(
    creds: L2User,
    service: Service,
    asset_type: str | None = None,
    token_id: str | None = None,
    signature_type: str | None = None,
) -> Response:
    holding = await service.balance_allowance(creds, asset_type, token_id, refresh=True)
    return _json(holding, service.exchange_address)
