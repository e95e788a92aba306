# The project's commands. `make run` starts the stack, `make test` runs the tests, `make check` is the gate.
SHELL := /bin/bash
PY := .venv/bin/python
API_PORT ?= 8080
CHAIN_PORT ?= 8545
STATE_DIR ?= var
PYTEST_ARGS ?=
SRC := clob orders chain store settlement indexer reconcile
LINT_PATHS := clob orders chain store settlement indexer reconcile polyclob tests bench scripts

.PHONY: bootstrap build run test check fmt lint types imports lock bench bench-engine bench-api bench-gas \
        bench-gas-check bench-journal bench-settlement bench-indexer bench-distributed replay hardhat-compile clean

bootstrap:  ## create .venv and node_modules from the lock files (idempotent, seconds when done)
	@scripts/bootstrap.sh

build: bootstrap  ## compile the contracts (cached on a hash of sources and settings)
	@$(PY) -m chain.build

run: bootstrap build  ## the whole stack on embedded defaults: chain, contracts, API, batcher, indexer, demo market
	@$(PY) -m scripts.run_stack --api-port $(API_PORT) --chain-port $(CHAIN_PORT) --state-dir "$(STATE_DIR)"

test: bootstrap build  ## the test suite (SQLite and, when reachable, PostgreSQL)
	@$(PY) -m pytest $(PYTEST_ARGS)

fmt: bootstrap
	@$(PY) -m ruff format $(LINT_PATHS)
	@$(PY) -m ruff check --fix $(LINT_PATHS)

lint: bootstrap
	@$(PY) -m ruff format --check $(LINT_PATHS)
	@$(PY) -m ruff check $(LINT_PATHS)

types: bootstrap
	@$(PY) -m mypy

imports: bootstrap  ## the import rules between packages (import-linter contracts in pyproject.toml)
	@.venv/bin/lint-imports

check: lint types imports bench-gas-check test  ## the one gate: format, lint, types, import rules, gas snapshot, tests

lock:  ## regenerate requirements.lock from the current venv
	@$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

hardhat-compile: bootstrap
	@PATH="$$PWD/node_modules/.bin:$$PATH" npx hardhat compile

bench-engine: bootstrap
	@$(PY) bench/bench_engine.py

bench-api: bootstrap  ## signature verification vs raw coincurve, POST /orders batches, single POST /order
	@$(PY) bench/bench_api.py

bench-journal: bootstrap  ## journal append throughput (fsync policies) and restart time for 1M commands
	@$(PY) bench/bench_journal.py

bench-distributed: bootstrap  ## orders/s and p99 through 2 gateways + 1 shard sequencer over NATS vs embedded
	@$(PY) bench/bench_distributed.py

bench-settlement: bootstrap build  ## fills settled per second, gas per fill, match-to-confirmed blocks
	@$(PY) bench/bench_settlement.py

bench-indexer: bootstrap build  ## logs decoded and stored per second, catch-up time
	@$(PY) bench/bench_indexer.py

bench: bench-engine bench-api bench-gas bench-journal bench-settlement bench-indexer bench-distributed

replay: bootstrap  ## re-run the engine over the journal, verify the hash chain and every stored fill
	@$(PY) -m clob.service.replay $(if $(POLYCLOB_DATABASE_URL),,--database-url "sqlite:///$(abspath $(STATE_DIR))/polyclob.db")

bench-gas: bootstrap build
	@$(PY) -m bench.bench_gas --write

bench-gas-check: bootstrap build
	@if [ -f bench/bench_gas.py ]; then $(PY) -m bench.bench_gas --check; else echo "bench-gas: no exchange yet"; fi

clean:
	rm -rf build artifacts cache .pytest_cache .mypy_cache .ruff_cache .import_linter_cache

.PHONY: soak bench-system
SOAK_S ?= 90
SOAK_SEED ?= 15
BENCH_SYSTEM_PHASE_S ?= 120

soak: bootstrap build  ## the whole stack under traders and faults; every invariant checked at quiescence
	@$(PY) -m bench.system --seconds $(SOAK_S) --seed $(SOAK_SEED)

bench-system: bootstrap build  ## the whole stack, no faults: intake, settle latency under and over chain capacity
	@$(PY) -m bench.system.bench --phase-seconds $(BENCH_SYSTEM_PHASE_S)
