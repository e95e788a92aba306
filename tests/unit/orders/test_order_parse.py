"""Parsing POST /order bodies: the official client's bytes, tolerated variants, precise errors, random JSON."""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_clob_client.clob_types import OrderType as ClientOrderType
from py_clob_client.utilities import order_to_json
from py_order_utils.builders import OrderBuilder as UtilsOrderBuilder
from py_order_utils.model import SELL as UTILS_SELL
from py_order_utils.model import OrderData
from py_order_utils.signer import Signer as UtilsSigner

from orders import (
    OrderErrorCode,
    OrderParseError,
    OrderType,
    OrderVerifier,
    Side,
    SignatureType,
    SignedOrderRequest,
    parse_order_request,
    parse_order_request_json,
)
from tests.unit.orders.vectors import vectors

EXCHANGE = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
KEY = "0x" + "33" * 32
API_KEY = "6f0a2c2e-5d57-4d8e-9a5e-2f3b3c4d5e6f"


def _client_body(order_type: str = "GTC", post_only: bool = False) -> str:
    """Exactly the bytes py-clob-client 0.34.6 sends for post_order."""
    builder = UtilsOrderBuilder(EXCHANGE, 31337, UtilsSigner(key=KEY), salt_generator=lambda: 1440835421)
    me = builder.signer.address()
    signed = builder.build_signed_order(
        OrderData(
            maker=me,
            taker="0x0000000000000000000000000000000000000000",
            tokenId="1234",
            makerAmount="10000000",
            takerAmount="5500000",
            side=UTILS_SELL,
            feeRateBps="0",
            nonce="0",
            signer=me,
            expiration="0",
        )
    )
    body = order_to_json(signed, API_KEY, getattr(ClientOrderType, order_type), post_only)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def _body() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(_client_body())
    return body


def test_the_official_clients_body_parses_and_verifies() -> None:
    raw = _client_body()
    assert raw.startswith('{"order":{"salt":1440835421,"maker":"0x')
    request = parse_order_request_json(raw.encode())
    assert isinstance(request, SignedOrderRequest)
    order = request.order
    assert (order.salt, order.token_id, order.maker_amount, order.taker_amount) == (1440835421, 1234, 10**7, 55 * 10**5)
    assert (order.side, order.signature_type, order.expiration, order.nonce, order.fee_rate_bps) == (
        Side.SELL,
        SignatureType.EOA,
        0,
        0,
        0,
    )
    assert order.maker == order.signer == order.maker.lower()
    assert (request.owner, request.order_type, request.post_only, request.defer_exec) == (
        API_KEY,
        OrderType.GTC,
        False,
        False,
    )
    OrderVerifier(31337, EXCHANGE).verify(order)


@pytest.mark.parametrize("order_type", ["GTC", "GTD", "FOK", "FAK"])
def test_every_order_type_parses(order_type: str) -> None:
    assert parse_order_request_json(_client_body(order_type)).order_type == OrderType(order_type)


def test_golden_orders_parse_to_the_vector_digest() -> None:
    for entry in vectors()["orders"]:
        body = {"order": {**entry["order"], "signature": entry["signature"]}, "owner": "k", "orderType": "GTC"}
        order = parse_order_request(body).order  # side "0"/"1" and string salts, as in the vectors
        assert "0x" + OrderVerifier(entry["chain_id"], entry["exchange"]).verify(order).hex() == entry["digest"]


def test_tolerated_variants_give_the_same_order() -> None:
    reference = parse_order_request(_body())
    body = _body()
    o = body["order"]
    o["maker"] = o["maker"].lower()
    o["signer"] = o["signer"].upper().replace("0X", "0x")
    for key in ("tokenId", "makerAmount", "takerAmount", "expiration", "nonce", "feeRateBps"):
        o[key] = int(o[key])  # numbers instead of strings
    o["salt"] = str(o["salt"])
    o["side"] = "sell"
    o["signatureType"] = "0"
    o["extra"] = {"ignored": [1, 2]}
    del body["postOnly"]
    body["deferExec"] = None
    body["somethingNew"] = True
    assert parse_order_request(body) == reference
    o["side"] = 1
    o["signature"] = o["signature"][2:]  # without 0x
    assert parse_order_request(body) == reference


def test_flags_are_read() -> None:
    body = _body()
    body["postOnly"] = True
    body["deferExec"] = True
    request = parse_order_request(body)
    assert (request.post_only, request.defer_exec) == (True, True)


def _mutated(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    body = _body()
    target = body
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


_DELETE = object()
CHECKSUM_TYPO = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2a"  # last letter's case flipped

FIELD_ERRORS = [
    (("order",), _DELETE, "invalid order: order must be a JSON object"),
    (("order",), [], "invalid order: order must be a JSON object"),
    (("order", "makerAmount"), "0", "invalid order: makerAmount must be a positive integer string below 2^256"),
    (("order", "makerAmount"), "-5", "invalid order: makerAmount must be a positive integer string"),
    (("order", "makerAmount"), "5.5", "invalid order: makerAmount must be a positive integer string"),
    (("order", "makerAmount"), 5.0, "invalid order: makerAmount must be a positive integer string"),
    (("order", "makerAmount"), True, "invalid order: makerAmount must be a positive integer string"),
    (("order", "takerAmount"), str(2**256), "invalid order: takerAmount must be a positive integer string"),
    (("order", "takerAmount"), _DELETE, "invalid order: takerAmount must be a positive integer string"),
    (("order", "tokenId"), "0x12", "invalid order: tokenId must be a positive integer string"),
    (("order", "expiration"), " 1", "invalid order: expiration must be a non-negative integer string"),
    (("order", "nonce"), None, "invalid order: nonce must be a non-negative integer string"),
    (("order", "feeRateBps"), "１", "invalid order: feeRateBps must be a non-negative integer string"),
    (("order", "salt"), 1.5, "invalid order: salt must be a non-negative integer below 2^256"),
    (("order", "salt"), -1, "invalid order: salt must be a non-negative integer"),
    (("order", "maker"), "0x1234", "invalid order: maker must be 0x followed by 40 hex digits"),
    (("order", "signer"), CHECKSUM_TYPO, "invalid order: signer has an invalid EIP-55 checksum"),
    (("order", "taker"), 0, "invalid order: taker must be an address string"),
    (("order", "taker"), "0x" + "zz" * 20, "invalid order: taker must be 0x followed by 40 hex digits"),
    (("order", "side"), "HOLD", 'invalid order: side must be "BUY" or "SELL"'),
    (("order", "side"), 2, 'invalid order: side must be "BUY" or "SELL"'),
    (("order", "signatureType"), 3, "invalid order: signatureType must be 0 (EOA), 1 (POLY_PROXY) or 2"),
    (("order", "signatureType"), "EOA", "invalid order: signatureType must be 0 (EOA)"),
    (("order", "signature"), "0x1234", "invalid order: signature must be 0x followed by 130 hex digits"),
    (("order", "signature"), "0x" + "g" * 130, "invalid order: signature must be 0x followed by 130 hex digits"),
    (("owner",), "", "invalid order: owner must be the API key (a non-empty string)"),
    (("owner",), _DELETE, "invalid order: owner must be the API key"),
    (("orderType",), "IOC", "invalid order: orderType must be one of GTC, GTD, FOK, FAK"),
    (("orderType",), _DELETE, "invalid order: orderType must be one of GTC, GTD, FOK, FAK"),
    (("postOnly",), "yes", "invalid order: postOnly must be a boolean"),
    (("deferExec",), 1, "invalid order: deferExec must be a boolean"),
]


@pytest.mark.parametrize(
    ("path", "value", "message"), FIELD_ERRORS, ids=lambda x: "<delete>" if x is _DELETE else repr(x)[:40]
)
def test_each_bad_field_has_a_precise_message(path: tuple[str, ...], value: Any, message: str) -> None:
    with pytest.raises(OrderParseError) as info:
        parse_order_request(_mutated(path, value))
    assert info.value.message.startswith(message), info.value.message
    assert info.value.code in (OrderErrorCode.INVALID_FIELD, OrderErrorCode.INVALID_BODY)


def test_post_only_is_refused_for_market_orders() -> None:
    body = _body()
    body["postOnly"], body["orderType"] = True, "FOK"
    with pytest.raises(OrderParseError, match="postOnly is only allowed with GTC and GTD"):
        parse_order_request(body)


@pytest.mark.parametrize("raw", [b"", b"{", b"nul", b"[1,]", b"\xff\xfe", '{"order": NaN}'])
def test_invalid_json_is_an_invalid_body(raw: bytes | str) -> None:
    with pytest.raises(OrderParseError) as info:
        parse_order_request_json(raw)
    assert info.value.code == OrderErrorCode.INVALID_BODY


@pytest.mark.parametrize("body", [None, 1, "x", [], [{}], {}, {"order": {}}])
def test_non_objects_and_empty_objects_are_rejected(body: Any) -> None:
    with pytest.raises(OrderParseError):
        parse_order_request(body)


# --- never anything but OrderParseError ----------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**300), max_value=2**300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=140),
    st.sampled_from(["0", "1", "BUY", "SELL", "GTC", "FOK", "0x" + "ab" * 20, "0x" + "cd" * 65, "9" * 80]),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
ORDER_KEYS = [
    "salt", "maker", "signer", "taker", "tokenId", "makerAmount", "takerAmount", "expiration", "nonce",
    "feeRateBps", "side", "signatureType", "signature",
]  # fmt: skip


@settings(max_examples=400, derandomize=True)
@given(value=json_values)
def test_random_json_raises_only_order_parse_error(value: Any) -> None:
    for candidate in (value, {"order": value, "owner": "k", "orderType": "GTC"}):
        with contextlib.suppress(OrderParseError):
            parse_order_request(candidate)


@settings(max_examples=250, derandomize=True)
@given(
    top=st.dictionaries(st.sampled_from(["order", "owner", "orderType", "postOnly", "deferExec"]), json_values),
    fields=st.dictionaries(st.sampled_from(ORDER_KEYS), json_values),
)
def test_valid_body_with_random_fields_raises_only_order_parse_error(
    top: dict[str, Any], fields: dict[str, Any]
) -> None:
    body = _BASE_BODY()
    body.update({k: v for k, v in top.items() if k != "order"})
    body["order"].update(fields)
    with contextlib.suppress(OrderParseError):
        parse_order_request(body)


@settings(max_examples=200, derandomize=True)
@given(raw=st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_random_bytes_raise_only_order_parse_error(raw: bytes | str) -> None:
    with contextlib.suppress(OrderParseError):
        parse_order_request_json(raw)


_BASE = _body()


def _BASE_BODY() -> dict[str, Any]:  # noqa: N802 - reads like the constant it copies
    return copy.deepcopy(_BASE)


def test_address_normalisation_is_cached_for_valid_addresses_only() -> None:
    from orders import checksum_address, normalize_address

    lower = "0x" + "ab" * 20
    checked = checksum_address(lower)
    for _ in range(2):  # the second call answers from the cache, identically
        assert normalize_address(checked) == lower
        assert normalize_address(lower.upper().replace("0X", "0x")) == lower
    for _ in range(2):  # refusals are not cached: refused every time
        with pytest.raises(ValueError, match="checksum"):
            normalize_address(CHECKSUM_TYPO)

    class Text(str):
        pass

    assert normalize_address(Text(checked)) == lower  # a str subclass takes the uncached path
