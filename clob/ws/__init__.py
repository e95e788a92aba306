"""WebSocket channels (market and user) fed by the sequencer through a non-blocking hub."""
