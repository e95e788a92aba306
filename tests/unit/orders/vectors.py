"""Golden vectors and reference helpers shared by the order and auth unit tests.

`polymarket_v1_vectors.json` is a pinned copy of /work/shared/vectors/polymarket-v1-vectors.json: what
py-clob-client 0.34.6 and py-order-utils 0.3.2 compute (amount tables, signed orders, ClobAuth signatures,
HMAC signatures). It is pinned so the tests never depend on the client's behaviour drifting.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from orders import Order, Side, SignatureType, checksum_address, normalize_address

VECTORS_PATH = Path(__file__).with_name("polymarket_v1_vectors.json")

ORDER_FIELDS = (
    ("salt", "uint256"),
    ("maker", "address"),
    ("signer", "address"),
    ("taker", "address"),
    ("tokenId", "uint256"),
    ("makerAmount", "uint256"),
    ("takerAmount", "uint256"),
    ("expiration", "uint256"),
    ("nonce", "uint256"),
    ("feeRateBps", "uint256"),
    ("side", "uint8"),
    ("signatureType", "uint8"),
)


@cache
def vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS_PATH.read_text())
    return data


def order_from_vector(entry: dict[str, Any]) -> Order:
    o = entry["order"]
    return Order(
        salt=int(o["salt"]),
        maker=normalize_address(o["maker"]),
        signer=normalize_address(o["signer"]),
        taker=normalize_address(o["taker"]),
        token_id=int(o["tokenId"]),
        maker_amount=int(o["makerAmount"]),
        taker_amount=int(o["takerAmount"]),
        expiration=int(o["expiration"]),
        nonce=int(o["nonce"]),
        fee_rate_bps=int(o["feeRateBps"]),
        side=Side(int(o["side"])),
        signature_type=SignatureType(int(o["signatureType"])),
        signature=bytes.fromhex(entry["signature"][2:]),
    )


def eip712_order_message(order: Order, chain_id: int, exchange: str) -> dict[str, Any]:
    """The order as eth-account's `encode_typed_data(full_message=...)` takes it (the reference encoder)."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Order": [{"name": name, "type": kind} for name, kind in ORDER_FIELDS],
        },
        "primaryType": "Order",
        "domain": {
            "name": "Polymarket CTF Exchange",
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": checksum_address(exchange),
        },
        "message": {
            "salt": order.salt,
            "maker": checksum_address(order.maker),
            "signer": checksum_address(order.signer),
            "taker": checksum_address(order.taker),
            "tokenId": order.token_id,
            "makerAmount": order.maker_amount,
            "takerAmount": order.taker_amount,
            "expiration": order.expiration,
            "nonce": order.nonce,
            "feeRateBps": order.fee_rate_bps,
            "side": int(order.side),
            "signatureType": int(order.signature_type),
        },
    }
