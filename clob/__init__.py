"""The off-chain central limit order book: matching engine, order and auth primitives, and the API."""
