"""EIP-712 order hashing, signing and verification against golden vectors and eth-account."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from coincurve import PublicKey
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st
from py_order_utils.builders import OrderBuilder as UtilsOrderBuilder
from py_order_utils.model import BUY as UTILS_BUY
from py_order_utils.model import EOA as UTILS_EOA
from py_order_utils.model import OrderData
from py_order_utils.signer import Signer as UtilsSigner

from orders import (
    ORDER_TYPEHASH,
    SCHEMAS,
    ZERO_ADDRESS,
    Address,
    ExchangeDomain,
    Order,
    OrderErrorCode,
    OrderParseError,
    OrderSignatureError,
    OrderVerifier,
    OrderVersion,
    Side,
    SignatureType,
    address_of,
    checksum_address,
    domain_separator,
    hash_order,
    order_id,
    parse_order,
    recover_signer,
    sign_order,
)
from orders.eip712 import _STRUCT_HASHES, SECP256K1_HALF_N, SECP256K1_N, struct_hash
from orders.keccak import keccak
from orders.wallets import WalletRules, proxy_init_code_hash, safe_init_code_hash
from tests.unit.orders.vectors import eip712_order_message, order_from_vector, vectors

POLYGON_EXCHANGE = "0x4bFb41d5B3570DeFd03C39a9A4D8dE6Bd8B8982E"
LOCAL_EXCHANGE = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
KEY_A = bytes.fromhex("11" * 32)
KEY_B = bytes.fromhex("22" * 32)

ORDER_VECTORS = vectors()["orders"]


def _order(key: bytes = KEY_A, **changes: Any) -> Order:
    me = address_of(key)
    base = Order(
        salt=123456789,
        maker=me,
        signer=me,
        taker=ZERO_ADDRESS,
        token_id=2**255 + 12345,
        maker_amount=5_500_000,
        taker_amount=10_000_000,
        expiration=0,
        nonce=0,
        fee_rate_bps=0,
        side=Side.BUY,
        signature_type=SignatureType.EOA,
    )
    return dataclasses.replace(base, **changes)


def _signed(key: bytes = KEY_A, chain_id: int = 137, exchange: str = POLYGON_EXCHANGE, **changes: Any) -> Order:
    return sign_order(_order(key, **changes), key, ExchangeDomain(chain_id, exchange))


def _reject(verifier: OrderVerifier, order: Order, code: OrderErrorCode) -> OrderSignatureError:
    with pytest.raises(OrderSignatureError) as info:
        verifier.verify(order)
    assert info.value.code == code, info.value.message
    return info.value


# --- golden vectors -------------------------------------------------------------------------------------


def test_type_hash_is_keccak_of_the_exchange_type_string() -> None:
    assert (
        keccak(
            b"Order(uint256 salt,address maker,address signer,address taker,uint256 tokenId,uint256 makerAmount,"
            b"uint256 takerAmount,uint256 expiration,uint256 nonce,uint256 feeRateBps,uint8 side,uint8 signatureType)"
        )
        == ORDER_TYPEHASH
    )


@pytest.mark.parametrize("entry", ORDER_VECTORS, ids=lambda e: f"{e['chain_id']}-{e['order']['salt']}")
def test_golden_order_digest_signature_and_recovery(entry: dict[str, Any]) -> None:
    order = order_from_vector(entry)
    verifier = OrderVerifier(entry["chain_id"], entry["exchange"])
    digest = hash_order(order, domain_separator(entry["chain_id"], entry["exchange"]))

    assert order_id(digest) == entry["digest"]
    assert verifier.order_hash(order) == digest
    assert verifier.verify(order) == digest
    assert recover_signer(digest, order.signature) == address_of(entry["private_key"]) == order.signer
    resigned = sign_order(
        dataclasses.replace(order, signature=b""),
        entry["private_key"],
        ExchangeDomain(entry["chain_id"], entry["exchange"]),
    )
    assert resigned.signature == order.signature  # RFC 6979: byte-for-byte


def test_golden_vectors_cover_both_chains() -> None:
    assert {e["chain_id"] for e in ORDER_VECTORS} == {137, 31337}


# --- eth-account as the reference encoder ------------------------------------------------------------------

uint256 = st.integers(min_value=0, max_value=2**256 - 1)
addresses = st.binary(min_size=20, max_size=20).map(lambda b: Address("0x" + b.hex()))
private_keys = st.integers(min_value=1, max_value=SECP256K1_N - 1).map(lambda k: k.to_bytes(32, "big"))
chain_ids = st.integers(min_value=1, max_value=2**64)


@st.composite
def orders(draw: st.DrawFn) -> Order:
    return Order(
        salt=draw(uint256),
        maker=draw(addresses),
        signer=draw(addresses),
        taker=draw(st.one_of(st.just(ZERO_ADDRESS), addresses)),
        token_id=draw(uint256),
        maker_amount=draw(uint256),
        taker_amount=draw(uint256),
        expiration=draw(uint256),
        nonce=draw(uint256),
        fee_rate_bps=draw(st.one_of(st.integers(0, 1000), uint256)),
        side=draw(st.sampled_from(Side)),
        signature_type=draw(st.sampled_from(SignatureType)),
    )


@settings(max_examples=150, deadline=None, derandomize=True)
@given(order=orders(), chain_id=chain_ids, exchange=addresses)
def test_hash_matches_eth_account_encode_typed_data(order: Order, chain_id: int, exchange: str) -> None:
    signable = encode_typed_data(full_message=eip712_order_message(order, chain_id, exchange))
    assert signable.header == domain_separator(chain_id, exchange)
    assert signable.body == struct_hash(order)
    assert hash_order(order, signable.header) == keccak(b"\x19" + signable.version + signable.header + signable.body)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(order=orders(), key=private_keys, chain_id=chain_ids, exchange=addresses)
def test_signatures_recover_with_eth_account_and_verify(order: Order, key: bytes, chain_id: int, exchange: str) -> None:
    me = address_of(key)
    order = dataclasses.replace(order, maker=me, signer=me, signature_type=SignatureType.EOA)
    signed = sign_order(order, key, ExchangeDomain(chain_id, exchange))
    signable = encode_typed_data(full_message=eip712_order_message(order, chain_id, exchange))
    assert Account.recover_message(signable, signature=signed.signature).lower() == me
    assert Account.sign_message(signable, key).signature == signed.signature
    assert OrderVerifier(chain_id, exchange).verify(signed) == hash_order(order, signable.header)


# --- py-order-utils (the official builder) for a custom deployment ----------------------------------------


@pytest.mark.parametrize(("chain_id", "exchange"), [(31337, LOCAL_EXCHANGE), (8453, "0x" + "ab" * 20)])
def test_py_order_utils_order_for_custom_exchange_is_accepted(chain_id: int, exchange: str) -> None:
    key_hex = "0x" + KEY_B.hex()
    builder = UtilsOrderBuilder(exchange, chain_id, UtilsSigner(key=key_hex))
    me = builder.signer.address()
    signed = builder.build_signed_order(
        OrderData(
            maker=me,
            taker="0x0000000000000000000000000000000000000000",
            tokenId="71321045679252212594626385532706912750332728571942532289631379312455583992563",
            makerAmount="5500000",
            takerAmount="10000000",
            side=UTILS_BUY,
            feeRateBps="0",
            nonce="0",
            signer=me,
            expiration="0",
            signatureType=UTILS_EOA,
        )
    )
    order = parse_order(signed.dict())
    digest = OrderVerifier(chain_id, exchange).verify(order)
    assert order_id(digest) == builder._create_struct_hash(signed.order)  # their hashOrder, as 0x-hex
    # the same order under Polygon's domain is someone else's signature
    _reject(OrderVerifier(137, POLYGON_EXCHANGE), order, OrderErrorCode.SIGNER_MISMATCH)


# --- rejections --------------------------------------------------------------------------------------------

VERIFIER = OrderVerifier(137, POLYGON_EXCHANGE)


def _with_s(order: Order, s: int, v: int) -> Order:
    return dataclasses.replace(order, signature=order.signature[:32] + s.to_bytes(32, "big") + bytes((v,)))


def test_high_s_twin_is_rejected_although_it_recovers_the_same_key() -> None:
    order = _signed()
    s = int.from_bytes(order.signature[32:64], "big")
    assert s <= SECP256K1_HALF_N
    twin = _with_s(order, SECP256K1_N - s, 55 - order.signature[64])  # flip v: 27 <-> 28
    # the malleated signature is valid ECDSA for the same key ...
    rsv = twin.signature[:64] + bytes((twin.signature[64] - 27,))
    recovered = PublicKey.from_signature_and_message(rsv, VERIFIER.order_hash(order), hasher=None)
    assert keccak(recovered.format(compressed=False)[1:])[12:].hex() == order.signer[2:]
    # ... but OpenZeppelin ECDSA (and we) refuse it
    error = _reject(VERIFIER, twin, OrderErrorCode.BAD_SIGNATURE)
    assert "upper half" in error.message


@pytest.mark.parametrize("v", [0, 1, 26, 29, 255])
def test_v_other_than_27_or_28_is_rejected(v: int) -> None:
    order = _signed()
    bad = dataclasses.replace(order, signature=order.signature[:64] + bytes((v,)))
    assert "v must be 27 or 28" in _reject(VERIFIER, bad, OrderErrorCode.BAD_SIGNATURE).message


@pytest.mark.parametrize("length", [0, 64, 66, 130])
def test_signature_of_wrong_length_is_rejected(length: int) -> None:
    bad = dataclasses.replace(_signed(), signature=(_signed().signature * 3)[:length])
    assert "65 bytes" in _reject(VERIFIER, bad, OrderErrorCode.BAD_SIGNATURE).message


@pytest.mark.parametrize("r", [0, SECP256K1_N, 2**256 - 1])
def test_r_out_of_range_is_rejected(r: int) -> None:
    order = _signed()
    bad = dataclasses.replace(order, signature=r.to_bytes(32, "big") + order.signature[32:])
    _reject(VERIFIER, bad, OrderErrorCode.BAD_SIGNATURE)


def test_wrong_chain_id_in_domain_is_a_signer_mismatch() -> None:
    _reject(VERIFIER, _signed(chain_id=80002), OrderErrorCode.SIGNER_MISMATCH)


def test_wrong_exchange_in_domain_is_a_signer_mismatch() -> None:
    neg_risk_exchange = "0xC5d563A36AE78145C45a50134d48A1215220f80a"
    _reject(VERIFIER, _signed(exchange=neg_risk_exchange), OrderErrorCode.SIGNER_MISMATCH)
    assert OrderVerifier(137, neg_risk_exchange).verify(_signed(exchange=neg_risk_exchange))


TAMPERS: dict[str, Any] = {
    "salt": 123456790,
    "taker": Address("0x" + "01" * 20),
    "token_id": 2**255 + 12346,
    "maker_amount": 5_500_001,
    "taker_amount": 9_999_999,
    "expiration": 1,
    "nonce": 1,
    "fee_rate_bps": 1,
    "side": Side.SELL,
}


@pytest.mark.parametrize("field", list(TAMPERS))
def test_tampered_field_is_a_signer_mismatch(field: str) -> None:
    tampered = dataclasses.replace(_signed(), **{field: TAMPERS[field]})
    _reject(VERIFIER, tampered, OrderErrorCode.SIGNER_MISMATCH)


def test_claiming_another_signer_is_a_mismatch_even_when_that_signer_is_remembered() -> None:
    verifier = OrderVerifier(137, POLYGON_EXCHANGE)
    honest = _signed(KEY_A)
    verifier.verify(honest)  # the verifier now remembers A's public key
    forged = sign_order(dataclasses.replace(honest, salt=1), KEY_B, ExchangeDomain(137, POLYGON_EXCHANGE))
    _reject(verifier, forged, OrderErrorCode.SIGNER_MISMATCH)  # claims A, signed by B
    fresh = OrderVerifier(137, POLYGON_EXCHANGE)
    _reject(fresh, forged, OrderErrorCode.SIGNER_MISMATCH)  # and without the memory


def test_eoa_order_whose_maker_is_not_the_signer_is_rejected() -> None:
    order = _signed(maker=Address("0x" + "aa" * 20))
    error = _reject(VERIFIER, order, OrderErrorCode.MAKER_NOT_SIGNER)
    assert error.message == "invalid order: for EOA orders the signer must be the maker"


@pytest.mark.parametrize("signature_type", [SignatureType.POLY_PROXY, SignatureType.POLY_GNOSIS_SAFE])
def test_proxy_and_safe_signatures_need_the_wallet_factories(signature_type: SignatureType) -> None:
    order = _signed(signature_type=signature_type, maker=Address("0x" + "aa" * 20))
    error = _reject(VERIFIER, order, OrderErrorCode.UNSUPPORTED_SIGNATURE_TYPE)
    assert signature_type.name in error.message
    assert "no wallet factory is configured" in error.message


RULES = WalletRules(
    proxy_factory="0x" + "f1" * 20,
    proxy_init_code_hash=proxy_init_code_hash("0x" + "e1" * 20),
    safe_factory="0x" + "f2" * 20,
    safe_init_code_hash=safe_init_code_hash(b"\x60\x80", "0x" + "e2" * 20),
)
WALLET_VERIFIER = OrderVerifier(137, POLYGON_EXCHANGE, wallets=RULES)


@pytest.mark.parametrize("signature_type", [SignatureType.POLY_PROXY, SignatureType.POLY_GNOSIS_SAFE])
def test_wallet_order_of_the_signers_own_wallet_verifies(signature_type: SignatureType) -> None:
    wallet = RULES.wallet_of(signature_type, address_of(KEY_A))
    order = _signed(signature_type=signature_type, maker=Address(wallet))
    assert WALLET_VERIFIER.verify(order) == hash_order(order, domain_separator(137, POLYGON_EXCHANGE))
    assert RULES.proxy_of(address_of(KEY_A)) != RULES.safe_of(address_of(KEY_A))


@pytest.mark.parametrize("signature_type", [SignatureType.POLY_PROXY, SignatureType.POLY_GNOSIS_SAFE])
def test_wallet_order_of_another_owners_wallet_is_refused_with_the_reason(signature_type: SignatureType) -> None:
    theirs = RULES.wallet_of(signature_type, address_of(KEY_B))
    order = _signed(signature_type=signature_type, maker=Address(theirs))
    error = _reject(WALLET_VERIFIER, order, OrderErrorCode.NOT_WALLET_OWNER)
    assert "the signer is not its owner" in error.message
    assert RULES.wallet_of(signature_type, address_of(KEY_A)) in error.message
    # The other type's wallet of the same owner is no better.
    other = SignatureType.POLY_GNOSIS_SAFE if signature_type == SignatureType.POLY_PROXY else SignatureType.POLY_PROXY
    mixed = _signed(signature_type=signature_type, maker=Address(RULES.wallet_of(other, address_of(KEY_A))))
    _reject(WALLET_VERIFIER, mixed, OrderErrorCode.NOT_WALLET_OWNER)


def test_wallet_order_signed_by_another_key_is_refused() -> None:
    wallet = RULES.proxy_of(address_of(KEY_A))
    order = sign_order(
        _order(KEY_A, signature_type=SignatureType.POLY_PROXY, maker=Address(wallet)),
        KEY_B,
        ExchangeDomain(137, POLYGON_EXCHANGE),
    )
    _reject(WALLET_VERIFIER, order, OrderErrorCode.SIGNER_MISMATCH)


def test_wallet_rules_follow_the_create2_formula() -> None:
    owner = address_of(KEY_A)
    salt = keccak(bytes.fromhex(owner[2:]))
    expected = keccak(b"\xff" + bytes.fromhex("f1" * 20) + salt + RULES.proxy_init_code_hash)[12:]
    assert RULES.proxy_of(owner) == "0x" + expected.hex()
    salt = keccak(bytes(12) + bytes.fromhex(owner[2:]))
    expected = keccak(b"\xff" + bytes.fromhex("f2" * 20) + salt + RULES.safe_init_code_hash)[12:]
    assert RULES.safe_of(owner) == "0x" + expected.hex()
    assert RULES.wallet_of(0, owner.upper().replace("0X", "0x")) == owner.lower()


def test_checksummed_addresses_in_an_order_are_tolerated() -> None:
    order = _signed()
    mixed = dataclasses.replace(
        order, maker=Address(checksum_address(order.maker)), signer=Address(checksum_address(order.signer))
    )
    assert VERIFIER.verify(mixed) == VERIFIER.verify(order)


def test_recover_signer_rejects_bad_input() -> None:
    order = _signed()
    digest = VERIFIER.order_hash(order)
    with pytest.raises(OrderSignatureError):
        recover_signer(digest, order.signature[:64] + b"\x00")
    with pytest.raises(ValueError, match="32 bytes"):
        recover_signer(digest[:31], order.signature)


@pytest.mark.parametrize(
    ("field", "value"), [("salt", 2**256), ("nonce", -1), ("fee_rate_bps", -5), ("maker_amount", -1)]
)
def test_hand_built_order_out_of_range_is_a_parse_error(field: str, value: int) -> None:
    order = dataclasses.replace(_signed(), **{field: value})
    with pytest.raises(OrderParseError, match="outside its Solidity type"):
        VERIFIER.verify(order)


def test_every_order_generation_has_one_schema_and_one_struct_hash() -> None:
    """Hashing dispatches on `Order.version`: each generation the vocabulary knows has its domain and struct
    defined once (`SCHEMAS`) and a struct encoder; V1's schema is the one the exchange and the vectors use."""
    assert set(SCHEMAS) == set(OrderVersion) == set(_STRUCT_HASHES)
    v1 = SCHEMAS[OrderVersion.V1]
    assert (v1.domain_name, v1.domain_version) == ("Polymarket CTF Exchange", "1")
    assert v1.typehash == ORDER_TYPEHASH == keccak(v1.order_type.encode())
    assert Order.version is OrderVersion.V1
    order = _order()
    assert domain_separator(137, POLYGON_EXCHANGE) == domain_separator(137, POLYGON_EXCHANGE, OrderVersion.V1)
    assert struct_hash(order) == _STRUCT_HASHES[OrderVersion.V1](order)
    domain = ExchangeDomain(137, POLYGON_EXCHANGE)
    assert domain.version is OrderVersion.V1
    assert domain.separator == domain_separator(137, POLYGON_EXCHANGE)
