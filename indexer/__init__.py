"""The chain indexer: follows exchange, ConditionalTokens and collateral logs reorg-safely into SQL."""
