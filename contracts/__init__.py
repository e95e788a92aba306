"""Solidity sources (``contracts/src``) and the Python tooling around them: build, local chain, deploy."""
