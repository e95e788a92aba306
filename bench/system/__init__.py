"""The whole-stack harness: ``python -m bench.system`` (``make soak``) drives the real stack with traders and faults
and checks the exchange's invariants at quiescence; ``python -m bench.system.bench`` (``make bench-system``)
measures intake, settlement latency and chain usage under the same trading mix without faults.

Modules: ``stack`` (start, kill, restart the stack), ``chain`` (funding, balances, moves, reorgs), ``traders``
(the trading mix), ``faults`` (the fault schedule), ``invariants`` (the checks), ``report`` (the last JSON line).
"""
