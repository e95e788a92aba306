"""The deployment's smart-wallet rules for the order verifier: which proxy wallet and Safe each signer owns.

POLY_PROXY / POLY_GNOSIS_SAFE orders (py-clob-client ``signature_type=1|2, funder=<wallet>``) are accepted when the
maker is the signer's wallet as the exchange contract derives it (``orders.wallets``). The two factories come from
the deployment manifest; their init-code hashes are read from the chain once, at start-up. Without them (no
factories in the manifest, or the chain not answering) wallet orders are refused, saying why.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from chain.rpc import connect
from chain.wallets import WalletFactories
from orders import SignatureType
from orders.wallets import WalletRules

log = logging.getLogger(__name__)


def load_wallet_rules(rpc_url: str, contracts: Mapping[str, str]) -> WalletRules | None:
    """The wallet rules of the deployment whose manifest ``contracts`` are given (None without factories)."""
    if not contracts.get("proxy_factory") or not contracts.get("safe_factory"):
        return None
    try:
        return WalletFactories.read(connect(rpc_url), dict(contracts)).rules()
    except Exception as exc:  # the chain is down or the factories are not what the manifest says
        log.warning("wallet factories unreadable (%s): proxy-wallet and Safe orders will be refused", exc)
        return None


def funder_of(rules: WalletRules | None, signature_type: str | None, signer: str) -> str:
    """The address whose holdings a signer trades with under ``signature_type`` (the query parameter of
    ``/balance-allowance``: absent, "0" or "-1" mean the signer itself). Raises ``ValueError`` naming the reason."""
    text = (signature_type or "").strip()
    if text in ("", "-1", "0"):
        return signer
    if text not in ("1", "2"):
        raise ValueError(f"signature_type must be 0 (EOA), 1 (POLY_PROXY) or 2 (POLY_GNOSIS_SAFE), not {text!r}")
    kind = SignatureType(int(text))
    if rules is None:
        raise ValueError(f"signature type {kind.name} ({int(kind)}) is not supported (no wallet factory is configured)")
    return rules.wallet_of(int(kind), signer)


def addresses_of(rules: WalletRules | None, signer: str) -> frozenset[str]:
    """Every maker whose orders ``signer`` controls: itself and, with wallet rules, its proxy wallet and Safe
    (lower-case, as the store keeps makers)."""
    own = signer.lower()
    if rules is None:
        return frozenset((own,))
    return frozenset((own, rules.proxy_of(own), rules.safe_of(own)))
