"""Annotated dependencies: the service, L1 and L2 identities, the admin check.

L2 verification needs the exact bytes of the body and the path as the client signed them (no query string), so
the dependency reads the raw body (Starlette caches it; the route can read it again) and the raw path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Request

from clob.auth import L1Identity, L2Credentials
from clob.service.exchange import ExchangeService


def get_service(request: Request) -> ExchangeService:
    service: ExchangeService = request.app.state.service
    return service


Service = Annotated[ExchangeService, Depends(get_service)]


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


async def l2_user(request: Request, service: Service) -> L2Credentials:
    body = await request.body()
    return service.authenticate_l2(request.headers, request.method, signed_path(request), body)


def l1_user(request: Request, service: Service) -> L1Identity:
    return service.authenticate_l1(request.headers)


def admin(request: Request, service: Service) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    service.check_admin(token.strip() if scheme.lower() == "bearer" else None)


L2User = Annotated[L2Credentials, Depends(l2_user)]
L1User = Annotated[L1Identity, Depends(l1_user)]
Admin = Depends(admin)
