"""The fault schedule (seeded) and its execution. Each fault is logged with its start and end (unix seconds).

- ``kill_all``: kill -9 of the runner's process group and anvil's, then a restart on the same state directory and
  ports (anvil reloads its last state dump: the chain goes back up to 5 s).
- ``kill_api``: kill -9 of the runner's process group only; the restarted runner should adopt the running anvil.
  Where it cannot (anvil died with its parent, or the port is taken), that is noted and the stack is restarted
  whole.
- ``rpc_down``: the chain unreachable for 30 s: SIGSTOP of anvil, SIGCONT after. (A TCP proxy would need the stack
  to dial another port than the one anvil listens on, which ``scripts/run_stack.py`` does not allow without an
  edit; a stopped process gives clients the same hanging connections a dead link does.)
- ``reorg``: ``anvil_reorg`` of depth 1-5 with no replacement transactions, under load.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from bench.system.chain import Chain
from bench.system.stack import Stack, StackError

KINDS = ("kill_all", "kill_api", "rpc_down", "reorg")
RPC_DOWN_S = 30.0


@dataclass
class Fault:
    kind: str
    at_s: float
    """seconds after the load started"""
    depth: int = 0
    started: float = 0.0
    ended: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "at_s": round(self.at_s, 1), "start": round(self.started, 3),
                "end": round(self.ended, 3), **({"depth": self.depth} if self.kind == "reorg" else {}),
                **self.notes}  # fmt: skip


def schedule(seed: int, load_s: float) -> list[Fault]:
    """Every kind at least once, in a seeded order, spread over the load; more rounds when the load is long.

    Each slot leaves room for the fault itself (a restart takes ~10-20 s, the RPC outage 30 s)."""
    rng = random.Random(seed)
    slot = 45.0
    rounds = max(1, int((load_s - 10) // (slot * len(KINDS))))
    kinds: list[str] = []
    for _ in range(rounds):
        batch = list(KINDS)
        rng.shuffle(batch)
        kinds += batch
    room = (load_s - 10) / len(kinds)
    faults = []
    for i, kind in enumerate(kinds):
        at = 8 + i * room + rng.uniform(0, max(0.0, room - (RPC_DOWN_S if kind == "rpc_down" else 15)) * 0.3)
        faults.append(Fault(kind, at, depth=rng.randint(1, 5) if kind == "reorg" else 0))
    return faults


def inject(fault: Fault, stack: Stack, chain: Chain, log: Any = sys.stderr) -> None:
    """Run one fault to its end (the stack serving again)."""
    fault.started = time.time()
    print(f"fault {fault.kind} at +{fault.at_s:.0f}s", file=log, flush=True)
    if fault.kind == "kill_all":
        stack.kill_all()
        _restart(stack, fault)
    elif fault.kind == "kill_api":
        survived = stack.kill_api()
        fault.notes["anvil_survived"] = survived
        _restart(stack, fault, adopt=survived)
    elif fault.kind == "rpc_down":
        stack.pause_chain()
        try:
            time.sleep(RPC_DOWN_S)
        finally:
            stack.resume_chain()
    elif fault.kind == "reorg":
        head = chain.head()
        try:
            chain.reorg(fault.depth)
            fault.notes["head"] = head
        except Exception as exc:
            fault.notes["error"] = str(exc)[:200]
    fault.ended = time.time()
    print(f"fault {fault.kind} done in {fault.ended - fault.started:.1f}s {fault.notes}", file=log, flush=True)


def _restart(stack: Stack, fault: Fault, adopt: bool = False) -> None:
    t = time.time()
    try:
        stack.start()
        fault.notes["restarted"] = True
        if adopt:
            fault.notes["adopted_chain"] = True
    except StackError as exc:
        fault.notes["restart_error"] = str(exc)[-300:]
        if not adopt:
            raise
        # the runner could not adopt the chain that survived it: restart the whole stack instead
        stack.kill_all()
        stack.kill_orphan_anvil()
        stack.start()
        fault.notes["restarted"] = True
        fault.notes["adopted_chain"] = False
    fault.notes["restart_s"] = round(time.time() - t, 1)
