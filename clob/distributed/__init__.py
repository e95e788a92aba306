"""The distributed mode: API gateways, one sequencer process per market shard, over NATS JetStream.

- `clob.distributed.bus`: streams, subjects, the wire form of commands and journal entries;
- `clob.distributed.node`: a shard's sequencer process (standby until it holds the shard's lock);
- `clob.distributed.router`: the gateway side, a drop-in for the embedded sequencer;
- `clob.distributed.replica`: a shard's engine rebuilt from verified journal entries;
- `clob.distributed.lock`: leadership (PostgreSQL advisory lock, or ``flock`` beside an SQLite file);
- `clob.distributed.feed`: the outside ``trades`` feed (durable consumer, explicit acks).

Run it with ``python -m clob.distributed sequencer --shard s0`` (one or more per shard; one is active) and API
gateways with ``POLYCLOB_MODE=distributed``; docs/distributed.md is the runbook.
"""
