"""The order vocabulary: the model, exact amount rules, EIP-712 hashing and fast signature verification.

- `model`: `Order`, `SignedOrderRequest`, `Side`, `SignatureType`, `OrderType`, `OrderVersion`, `Address`,
  address helpers.
- `parse`: the POST /order JSON body → `SignedOrderRequest` (`parse_order_request`, `parse_order_request_json`).
- `amounts`: `TickSize`, exact decimal parsing, `validate_amounts`, `price_of`, and the amount builders.
- `eip712`: `SCHEMAS` (each order generation's domain and struct), `domain_separator`, `hash_order`,
  `recover_signer`, `OrderVerifier`.
- `secp256k1`, `keccak`: the two primitives of the fast path (libsecp256k1 recovery, safe-pysha3 keccak).
- `trade`: `StoredTrade` and its `MakerFill`s, a stored trade (``trades.payload``) typed; `MatchType`.
- `signing`: `sign_order` for tests, the demo and load generators.
- `client_compat`: py-clob-client's float arithmetic, reproduced (the only floats in this package).
- `errors`: `OrderError` (the package's one root) and its stable `OrderErrorCode`s.
"""

from orders.amounts import (
    DEFAULT_POLICY,
    MAX_AMOUNT,
    AmountPolicy,
    PriceTicks,
    TickSize,
    build_limit_amounts,
    build_market_amounts,
    parse_price,
    parse_units,
    price_of,
    price_ticks,
    validate_amounts,
    validate_order_amounts,
)
from orders.eip712 import (
    ORDER_TYPEHASH,
    SCHEMAS,
    OrderSchema,
    OrderVerifier,
    domain_separator,
    hash_order,
    recover_signer,
    struct_hash,
)
from orders.errors import OrderAmountError, OrderError, OrderErrorCode, OrderParseError, OrderSignatureError
from orders.model import (
    ZERO_ADDRESS,
    Address,
    BaseUnits,
    Order,
    OrderType,
    OrderVersion,
    Side,
    SignatureType,
    SignedOrderRequest,
    checksum_address,
    normalize_address,
    order_id,
)
from orders.parse import order_to_json, parse_order, parse_order_request, parse_order_request_json
from orders.signing import ExchangeDomain, address_of, sign_digest, sign_order
from orders.trade import MakerFill, MatchType, StoredTrade

__all__ = [
    "DEFAULT_POLICY",
    "MAX_AMOUNT",
    "ORDER_TYPEHASH",
    "SCHEMAS",
    "ZERO_ADDRESS",
    "Address",
    "AmountPolicy",
    "BaseUnits",
    "ExchangeDomain",
    "MakerFill",
    "MatchType",
    "Order",
    "OrderAmountError",
    "OrderError",
    "OrderErrorCode",
    "OrderParseError",
    "OrderSchema",
    "OrderSignatureError",
    "OrderType",
    "OrderVerifier",
    "OrderVersion",
    "PriceTicks",
    "Side",
    "SignatureType",
    "SignedOrderRequest",
    "StoredTrade",
    "TickSize",
    "address_of",
    "build_limit_amounts",
    "build_market_amounts",
    "checksum_address",
    "domain_separator",
    "hash_order",
    "normalize_address",
    "order_id",
    "order_to_json",
    "parse_order",
    "parse_order_request",
    "parse_order_request_json",
    "parse_price",
    "parse_units",
    "price_of",
    "price_ticks",
    "recover_signer",
    "sign_digest",
    "sign_order",
    "struct_hash",
    "validate_amounts",
    "validate_order_amounts",
]
