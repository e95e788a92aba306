"""Annotated dependencies: the service and its parts (each route takes the one it uses), L1 and L2 identities,
the admin check.

L2 verification needs the exact bytes of the body and the path as the client signed them (no query string), so
the dependency reads the raw body (Starlette caches it; the route can read it again) and the raw path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Request

from clob.auth import L1Identity, L2Credentials
from clob.service.access import Access
from clob.service.admin import MarketAdmin
from clob.service.balances import Balances
from clob.service.cancels import Cancels
from clob.service.desk import OrderDesk
from clob.service.exchange import ExchangeService
from clob.service.heartbeats import HeartbeatSwitch
from clob.service.reads import Reads


def get_service(request: Request) -> ExchangeService:
    service: ExchangeService = request.app.state.service
    return service


Service = Annotated[ExchangeService, Depends(get_service)]


def _access(service: Service) -> Access:
    return service.access


def _desk(service: Service) -> OrderDesk:
    return service.desk


def _cancels(service: Service) -> Cancels:
    return service.cancels


def _reads(service: Service) -> Reads:
    return service.reads


def _admin(service: Service) -> MarketAdmin:
    return service.admin


def _balances(service: Service) -> Balances:
    return service.balances


def _switch(service: Service) -> HeartbeatSwitch:
    return service.switch


AccessPart = Annotated[Access, Depends(_access)]
DeskPart = Annotated[OrderDesk, Depends(_desk)]
CancelsPart = Annotated[Cancels, Depends(_cancels)]
ReadsPart = Annotated[Reads, Depends(_reads)]
AdminPart = Annotated[MarketAdmin, Depends(_admin)]
BalancesPart = Annotated[Balances, Depends(_balances)]
SwitchPart = Annotated[HeartbeatSwitch, Depends(_switch)]


def signed_path(request: Request) -> str:
    """The request path as sent (percent-encoding kept), without the query string."""
    return signed_path_of(request.scope)


def signed_path_of(scope: Mapping[str, Any]) -> str:
    """`signed_path` of an ASGI scope."""
    raw = scope.get("raw_path")
    if isinstance(raw, bytes) and raw:
        return raw.decode("latin-1").partition("?")[0]
    path: str = scope["path"]
    return path


async def l2_user(request: Request, access: AccessPart) -> L2Credentials:
    body = await request.body()
    return access.authenticate_l2(request.headers, request.method, signed_path(request), body)


def l1_user(request: Request, access: AccessPart) -> L1Identity:
    return access.authenticate_l1(request.headers)


def admin(request: Request, access: AccessPart) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    access.check_admin(token.strip() if scheme.lower() == "bearer" else None)


L2User = Annotated[L2Credentials, Depends(l2_user)]
L1User = Annotated[L1Identity, Depends(l1_user)]
Admin = Depends(admin)
