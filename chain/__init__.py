"""Python tooling around the Solidity in ``contracts/``: build, local chain, deploy, markets, order encoding."""
