"""API keys: create and derive with L1 (wallet signature), list and delete with L2 (HMAC)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from clob.api.deps import AccessPart, L1User, L2User
from clob.api.render import creds_json
from clob.api.responses import JSON

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/api-key", summary="Create the API key of (POLY_ADDRESS, POLY_NONCE); idempotent (L1)")
def create_api_key(identity: L1User, access: AccessPart) -> Response:
    return JSON(creds_json(access.create_api_key(identity)))


@router.get("/derive-api-key", summary="The existing API key of (POLY_ADDRESS, POLY_NONCE) (L1)")
def derive_api_key(identity: L1User, access: AccessPart) -> Response:
    return JSON(creds_json(access.derive_api_key(identity)))


@router.get("/api-keys", summary="The wallet's active API keys (L2)")
def list_api_keys(creds: L2User, access: AccessPart) -> Response:
    return JSON({"apiKeys": access.list_api_keys(creds)})


@router.delete("/api-key", summary="Revoke the calling API key (L2)")
def delete_api_key(creds: L2User, access: AccessPart) -> Response:
    access.delete_api_key(creds)
    return JSON("OK")


@router.get("/ban-status/closed-only", summary="Closed-only mode of the account: always false (L2)")
def closed_only(creds: L2User) -> Response:
    return JSON({"closed_only": False})
