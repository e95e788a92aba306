"""The settlement batcher: matched trades become operator transactions on the exchange contract."""
