"""The composition root: where the exchange's packages are put together into the embedded and distributed stacks.

Nothing imports this package but entry points (``scripts/``, ``bench/``, tests, ``uvicorn --factory``); it may
import every other package. Its modules:

- `polyclob.exchange`: `ExchangeService` from `Settings` — the database, the command stream of the deployment mode
  (the embedded `Sequencer`, or a gateway's `ShardRouter`), the verifier, the cached chain view;
- `polyclob.api`: the API app from `Settings` (``uvicorn --factory polyclob.api:create_app``), with the gateway's
  trade status feed and the indexer's ``/chain`` routes;
- `polyclob.wiring`: the background services of a stack (batcher, indexer, resolution watcher, reconciler) and
  how they are connected to the book;
- `polyclob.stack`: ``make run`` (``python -m scripts.run_stack`` or ``python -m polyclob``);
  `polyclob.startup`: its start-up steps (ports, chain, store binding); `polyclob.distributed`: the processes it
  adds in the distributed mode.
"""
