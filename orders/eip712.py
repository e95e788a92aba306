"""EIP-712 hashing of orders (one definition per order generation) and signature verification, on a fast path.

`SCHEMAS` holds, per `OrderVersion`, the exchange's EIP-712 domain name and version and the order struct's type
string; `domain_separator` and `struct_hash` dispatch on the version, so a new generation adds a schema and a
struct encoder here, not a second copy of the hashing elsewhere (`chain.exchange` uses these too).

The order id is the EIP-712 digest ``keccak256(0x1901 ‖ domainSeparator ‖ structHash)`` that CTFExchange's
`hashOrder` returns, with the domain {name: "Polymarket CTF Exchange", version: "1", chainId,
verifyingContract: exchange}. A different chain id or exchange address gives a different digest, so an
order signed for another deployment recovers to some unrelated address and is rejected as a signer mismatch.

Fast path: the type hash and the domain separator are computed once; the struct is encoded by packing its
twelve 32-byte words with ``int.to_bytes`` and hashing with safe-pysha3's C keccak; the public key is
recovered with libsecp256k1 (coincurve's cffi binding called directly, see `orders.secp256k1`) and its
address compared as lower-case hex, which is what keccak's ``hexdigest`` yields, so no conversion is needed.
Recovery dominates the cost.

Signature rules are OpenZeppelin ECDSA's (what the exchange runs on chain): 65 bytes r ‖ s ‖ v with
v ∈ {27, 28} and s in the lower half of the curve order (malleable high-s signatures are rejected).
Only EOA signatures (type 0, signer == maker) are supported; proxy and safe wallets need the factories'
CREATE2 derivation and are refused with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from orders.errors import OrderErrorCode, OrderParseError, OrderSignatureError
from orders.keccak import keccak_256
from orders.model import Address, Order, OrderVersion, SignatureType
from orders.secp256k1 import recover_public_key
from orders.wallets import WalletRules

_keccak = keccak_256

EIP712_DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
EIP712_DOMAIN_TYPEHASH: bytes = _keccak(EIP712_DOMAIN_TYPE.encode()).digest()


@dataclass(frozen=True, slots=True)
class OrderSchema:
    """What one order generation is signed under: the exchange's EIP-712 domain name and version, and the order
    struct's type string. `typehash` is keccak(type string)."""

    version: OrderVersion
    domain_name: str
    domain_version: str
    order_type: str

    @property
    def typehash(self) -> bytes:
        return _order_typehash(self.order_type)


@lru_cache(maxsize=8)
def _order_typehash(order_type: str) -> bytes:
    return _keccak(order_type.encode()).digest()


V1 = OrderSchema(
    OrderVersion.V1,
    "Polymarket CTF Exchange",
    "1",
    "Order(uint256 salt,address maker,address signer,address taker,uint256 tokenId,uint256 makerAmount,"
    "uint256 takerAmount,uint256 expiration,uint256 nonce,uint256 feeRateBps,uint8 side,uint8 signatureType)",
)
SCHEMAS: dict[OrderVersion, OrderSchema] = {V1.version: V1}
"""Every order generation the project knows, by version: the one place their domains and structs are defined."""

DOMAIN_NAME = V1.domain_name
DOMAIN_VERSION = V1.domain_version
ORDER_TYPE = V1.order_type
ORDER_TYPEHASH: bytes = V1.typehash

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SECP256K1_HALF_N = SECP256K1_N // 2
_HALF_N_BYTES = SECP256K1_HALF_N.to_bytes(32, "big")
_PAD12 = bytes(12)
_SMALL_WORDS = tuple(i.to_bytes(32, "big") for i in range(256))


def _address_bytes(address: str) -> bytes:
    raw = bytes.fromhex(address[2:])
    if len(raw) != 20 or address[:2] not in ("0x", "0X"):
        raise ValueError(f"not a 20-byte 0x address: {address!r}")
    return raw


@lru_cache(maxsize=64)
def domain_separator(chain_id: int, exchange: str, version: OrderVersion = OrderVersion.V1) -> bytes:
    """hashStruct(EIP712Domain) for the exchange of order generation `version` at `exchange` on `chain_id` (any
    address case)."""
    schema = SCHEMAS[version]
    return _keccak(
        b"".join(
            (
                EIP712_DOMAIN_TYPEHASH,
                _keccak(schema.domain_name.encode()).digest(),
                _keccak(schema.domain_version.encode()).digest(),
                chain_id.to_bytes(32, "big"),
                _PAD12,
                _address_bytes(exchange),
            )
        )
    ).digest()


def struct_hash(order: Order) -> bytes:
    """hashStruct(Order) under the order's own generation (`Order.version`)."""
    return _STRUCT_HASHES[order.version](order)


def _v1_struct_hash(order: Order) -> bytes:
    """hashStruct of a V1 order: keccak of the type hash and the twelve 32-byte words."""
    small = _SMALL_WORDS
    return _keccak(
        b"".join(
            (
                ORDER_TYPEHASH,
                order.salt.to_bytes(32, "big"),
                _PAD12,
                bytes.fromhex(order.maker[2:]),
                _PAD12,
                bytes.fromhex(order.signer[2:]),
                _PAD12,
                bytes.fromhex(order.taker[2:]),
                order.token_id.to_bytes(32, "big"),
                order.maker_amount.to_bytes(32, "big"),
                order.taker_amount.to_bytes(32, "big"),
                order.expiration.to_bytes(32, "big"),
                small[order.nonce] if 0 <= order.nonce < 256 else order.nonce.to_bytes(32, "big"),
                small[order.fee_rate_bps] if 0 <= order.fee_rate_bps < 256 else order.fee_rate_bps.to_bytes(32, "big"),
                small[order.side],
                small[order.signature_type],
            )
        )
    ).digest()


_STRUCT_HASHES = {OrderVersion.V1: _v1_struct_hash}
"""hashStruct per order generation (each generation's struct has its own fields)."""


def hash_order(order: Order, domain_separator: bytes) -> bytes:
    """The EIP-712 digest of `order` (= CTFExchange.hashOrder = the API's order id), 32 bytes.

    Raises OverflowError/ValueError for values outside their Solidity types; orders produced by
    `orders.parse` are always in range.
    """
    return _keccak(b"\x19\x01" + domain_separator + struct_hash(order)).digest()


def _recovery_id(signature: bytes) -> int:
    """Validate r ‖ s ‖ v like OpenZeppelin ECDSA; return the recovery id v - 27."""
    if len(signature) != 65:
        raise OrderSignatureError(
            OrderErrorCode.BAD_SIGNATURE, f"invalid signature: expected 65 bytes, got {len(signature)}"
        )
    v = signature[64]
    if v != 27 and v != 28:
        raise OrderSignatureError(OrderErrorCode.BAD_SIGNATURE, f"invalid signature: v must be 27 or 28, got {v}")
    if signature[32:64] > _HALF_N_BYTES:
        raise OrderSignatureError(OrderErrorCode.BAD_SIGNATURE, "invalid signature: s is in the upper half order")
    return v - 27


def recover_signer(digest: bytes, signature: bytes) -> Address:
    """The address that produced `signature` (65 bytes r ‖ s ‖ v) over the 32-byte `digest`."""
    recovery_id = _recovery_id(signature)
    if len(digest) != 32:
        raise ValueError("the digest must be 32 bytes")
    try:
        public_key = recover_public_key(signature, recovery_id, digest)
    except ValueError:
        raise OrderSignatureError(OrderErrorCode.BAD_SIGNATURE, "invalid signature") from None
    return Address("0x" + _keccak(public_key[1:]).hexdigest()[24:])


class OrderVerifier:
    """Verifies signed orders for one exchange deployment (chain id + verifying contract).

    `verify(order)` returns the order hash (32 bytes) or raises `OrderSignatureError`. It checks the cheap
    conditions first (signature type, maker == signer, signature shape) so malformed orders never pay for a
    public-key recovery. The neg-risk exchange has its own address, hence its own verifier. It verifies V1
    orders (its inlined struct words are `_v1_struct_hash`'s): an exchange of another order generation gets a
    verifier of its own.

    The verifier remembers the public key behind each signer it has verified (bounded): a later order from
    the same signer is matched by comparing the recovered key with the remembered one, which saves the
    keccak of the key. This is exact, not a heuristic: a key is remembered only after keccak(key) matched
    the address, and a different key with the same address would be a 160-bit keccak collision.
    """

    __slots__ = ("_keys", "_max_keys", "_prefix", "chain_id", "domain_separator", "exchange", "wallets")

    def __init__(
        self, chain_id: int, exchange: str, *, max_cached_signers: int = 100_000, wallets: WalletRules | None = None
    ) -> None:
        self.chain_id = chain_id
        # POLY_PROXY / POLY_GNOSIS_SAFE orders are accepted when the deployment's wallet factories are known.
        self.wallets = wallets
        self.exchange = Address("0x" + _address_bytes(exchange).hex())
        self.domain_separator = domain_separator(chain_id, exchange)
        self._prefix = b"\x19\x01" + self.domain_separator
        self._keys: dict[str, bytes] = {}
        self._max_keys = max_cached_signers

    def order_hash(self, order: Order) -> bytes:
        """The EIP-712 digest (order id) under this verifier's domain, without checking the signature."""
        digest: bytes = _keccak(self._prefix + struct_hash(order)).digest()
        return digest

    def verify(self, order: Order) -> bytes:
        """Check `order.signature`; return the order hash.

        Raises `OrderSignatureError`, or `OrderParseError` if a hand-built order has a value outside its
        Solidity type (orders from `orders.parse` never do).
        """
        signature_type = order.signature_type
        signer = order.signer.lower()
        if signature_type != 0:
            self._check_wallet(order, signer)
        elif order.maker.lower() != signer:
            raise OrderSignatureError(
                OrderErrorCode.MAKER_NOT_SIGNER, "invalid order: for EOA orders the signer must be the maker"
            )
        signature = order.signature
        recovery_id = _recovery_id(signature)
        # hashStruct(Order), inlined (this is the hot path); see `struct_hash` for the readable version
        small = _SMALL_WORDS
        nonce, fee = order.nonce, order.fee_rate_bps
        try:
            words = b"".join(
                (
                    ORDER_TYPEHASH,
                    order.salt.to_bytes(32, "big"),
                    _PAD12,
                    bytes.fromhex(order.maker[2:]),
                    _PAD12,
                    bytes.fromhex(signer[2:]),
                    _PAD12,
                    bytes.fromhex(order.taker[2:]),
                    order.token_id.to_bytes(32, "big"),
                    order.maker_amount.to_bytes(32, "big"),
                    order.taker_amount.to_bytes(32, "big"),
                    order.expiration.to_bytes(32, "big"),
                    small[nonce] if 0 <= nonce < 256 else nonce.to_bytes(32, "big"),
                    small[fee] if 0 <= fee < 256 else fee.to_bytes(32, "big"),
                    small[order.side],
                    small[signature_type],
                )
            )
        except (OverflowError, IndexError, ValueError):
            raise OrderParseError(
                OrderErrorCode.INVALID_FIELD, "invalid order: a field is outside its Solidity type"
            ) from None
        digest: bytes = _keccak(self._prefix + _keccak(words).digest()).digest()
        try:
            public_key = recover_public_key(signature, recovery_id, digest)
        except ValueError:
            raise OrderSignatureError(OrderErrorCode.BAD_SIGNATURE, "invalid signature") from None
        known = self._keys.get(signer)
        if known is not None:
            if known == public_key:
                return digest
        elif _keccak(public_key[1:]).hexdigest()[24:] == signer[2:]:
            if len(self._keys) >= self._max_keys:
                self._keys.clear()
            self._keys[signer] = public_key
            return digest
        raise OrderSignatureError(
            OrderErrorCode.SIGNER_MISMATCH, "invalid signature: it does not recover to the order's signer"
        )

    def _check_wallet(self, order: Order, signer: str) -> None:
        """A POLY_PROXY / POLY_GNOSIS_SAFE order's maker must be the signer's wallet (`orders.wallets`)."""
        signature_type = order.signature_type
        if signature_type not in (1, 2) or self.wallets is None:
            name = SignatureType(signature_type).name if signature_type in (1, 2) else str(signature_type)
            raise OrderSignatureError(
                OrderErrorCode.UNSUPPORTED_SIGNATURE_TYPE,
                f"invalid order: signature type {name} ({int(signature_type)}) is not supported"
                + (" (no wallet factory is configured)" if signature_type in (1, 2) else "")
                + "; accepted: EOA (0), POLY_PROXY (1), POLY_GNOSIS_SAFE (2)",
            )
        if order.maker.lower() != self.wallets.wallet_of(signature_type, signer):
            kind = "proxy wallet" if signature_type == 1 else "Safe"
            raise OrderSignatureError(
                OrderErrorCode.NOT_WALLET_OWNER,
                f"invalid order: the maker {order.maker} is not the {kind} of the signer {order.signer} (unknown "
                f"wallet, or the signer is not its owner); the signer's {kind} is "
                f"{self.wallets.wallet_of(signature_type, signer)}",
            )
