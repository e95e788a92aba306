"""Smart-wallet makers: the proxy wallet or Safe that a signer EOA owns, derived as the exchange contract derives it.

A POLY_PROXY (1) or POLY_GNOSIS_SAFE (2) order is made by a contract wallet (``maker``, the funder: it holds the
funds) and signed by the wallet's owner (``signer``). The exchange accepts the pair when ``maker`` is the CREATE2
address the wallet factory gives ``signer``: keccak256(0xff ‖ factory ‖ salt ‖ initCodeHash)[12:], with salt
keccak256(signer's 20 bytes) for proxy wallets and keccak256(abi.encode(signer)) for Safes. No registry is read, so
the API can check ownership without the chain once it knows each factory and its init-code hash.
"""

from __future__ import annotations

from dataclasses import dataclass

from orders.keccak import keccak_256

# The EIP-1167 minimal proxy's init code around the implementation address (what OpenZeppelin Clones deploys).
CLONE_PREFIX = bytes.fromhex("3d602d80600a3d3981f3363d3d373d3d3d363d73")
CLONE_SUFFIX = bytes.fromhex("5af43d82803e903d91602b57fd5bf3")


def _keccak(data: bytes) -> bytes:
    digest: bytes = keccak_256(data).digest()
    return digest


def _address_bytes(address: str) -> bytes:
    raw = bytes.fromhex(address[2:] if address[:2] in ("0x", "0X") else address)
    if len(raw) != 20:
        raise ValueError(f"not a 20-byte address: {address!r}")
    return raw


def create2_address(deployer: str, salt: bytes, init_code_hash: bytes) -> str:
    """keccak256(0xff ‖ deployer ‖ salt ‖ initCodeHash)[12:], lower-case hex."""
    return "0x" + _keccak(b"\xff" + _address_bytes(deployer) + salt + init_code_hash)[12:].hex()


def proxy_init_code_hash(implementation: str) -> bytes:
    """The hash of the EIP-1167 clone init code of ``implementation`` (a proxy wallet's init code)."""
    return _keccak(CLONE_PREFIX + _address_bytes(implementation) + CLONE_SUFFIX)


def safe_init_code_hash(proxy_creation_code: bytes, master_copy: str) -> bytes:
    """The hash of a Safe proxy's init code: its creation code and the singleton as one ABI word."""
    return _keccak(proxy_creation_code + bytes(12) + _address_bytes(master_copy))


@dataclass(frozen=True, slots=True)
class WalletRules:
    """One deployment's wallet factories and their init-code hashes: who owns which proxy wallet and Safe."""

    proxy_factory: str
    proxy_init_code_hash: bytes
    safe_factory: str
    safe_init_code_hash: bytes

    def proxy_of(self, owner: str) -> str:
        """The proxy wallet of ``owner`` (lower-case), deployed or not."""
        return create2_address(self.proxy_factory, _keccak(_address_bytes(owner)), self.proxy_init_code_hash)

    def safe_of(self, owner: str) -> str:
        """The Safe of ``owner`` (lower-case), deployed or not."""
        return create2_address(self.safe_factory, _keccak(bytes(12) + _address_bytes(owner)), self.safe_init_code_hash)

    def wallet_of(self, signature_type: int, owner: str) -> str:
        """The maker an order of ``owner`` has under ``signature_type``: the owner itself (EOA), its proxy wallet
        (POLY_PROXY) or its Safe (POLY_GNOSIS_SAFE)."""
        if signature_type == 1:
            return self.proxy_of(owner)
        if signature_type == 2:
            return self.safe_of(owner)
        return owner.lower()
