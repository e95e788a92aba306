"""Start-up of ``make run`` on a state directory that may already hold a chain, a store and a running chain.

Every check here either adopts what exists or raises ``StartupError`` whose message is the one line the runner
prints (what is wrong and what to do):

- another runner alive on the state directory (``stack.json``): refuse;
- the chain: a chain left running by a runner that was ``kill -9``-ed alone (its anvil pid in ``stack.json``, the
  same ``--state`` file) is adopted on the same port and stopped when this runner stops; a port taken by anything
  else is refused. A chain state dump cut short (anvil writes it in place, so a ``kill -9`` during the write
  truncates it) is replaced by the last good copy, which ``StateKeeper`` keeps;
- the store: it records the deployment it belongs to (table ``deployment``). A store of another chain is refused
  (PostgreSQL, or an SQLite URL given by hand) or, for the state directory's own SQLite file, moved aside;
- markets: every market registered on chain that the store's book lacks is opened in the book from the chain's
  facts (``adopt_markets``), never created on chain a second time.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
import orjson
from nats.js.errors import NotFoundError
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from web3 import Web3

from chain.anvil import Anvil, AnvilError, stop_pid
from chain.deploy import Manifest
from chain.markets import OnchainMarket, known_markets, registered_markets
from chain.rpc import contract_at
from chain.stack import StackInfo, chain_id_at, pid_alive, process_command
from clob.distributed.bus import cmd_stream
from clob.distributed.node import last_bus_seq
from store import connect_database
from store.db import Database
from store.schema import deployment, journal, markets

STATE_FILE = "anvil-state.json"
GOOD_COPY = "anvil-state.good.json"


class StartupError(Exception):
    """Start-up cannot go on; the message is one line naming the problem and what to do."""


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


def check_ports(ports: dict[int, str]) -> None:
    """Refuse ports (API, gateways) that something already listens on."""
    for port, what in ports.items():
        if port_in_use(port):
            raise StartupError(f"port {port} ({what}) is taken: stop what listens there or choose another {what} port")


# --- the state directory's runner -----------------------------------------------------------------------------
def _is_runner(pid: int) -> bool:
    """Whether ``pid`` is a stack runner: ``python -m scripts.run_stack`` (``make run``) or ``python -m polyclob``."""
    return pid_alive(pid) and any("run_stack" in part or part == "polyclob" for part in process_command(pid))


def check_no_runner(state: Path) -> StackInfo | None:
    """The previous runner's record (if any), after making sure that runner is not alive."""
    info = StackInfo.load(state)
    if info is not None and info.pid != os.getpid() and _is_runner(info.pid):
        where = f", {info.api_url}" if info.api_url else ""
        raise StartupError(
            f"a stack is already running on {state} (pid {info.pid}{where}): stop it first or use another STATE_DIR"
        )
    return info


# --- the chain ------------------------------------------------------------------------------------------------
def _flag(cmd: list[str], name: str) -> str | None:
    for i, part in enumerate(cmd[:-1]):
        if part == name:
            return cmd[i + 1]
    return None


def anvil_of(pid: int, state_file: Path) -> int | None:
    """The port of ``pid`` if it is an anvil dumping its state to ``state_file``."""
    cmd = process_command(pid)
    if not cmd or not Path(cmd[0]).name.startswith("anvil") or not pid_alive(pid):
        return None
    state = _flag(cmd, "--state")
    port = _flag(cmd, "--port")
    if state is None or port is None or Path(state).resolve() != state_file.resolve():
        return None
    return int(port)


def find_anvil(port: int, state_file: Path) -> int:
    """The pid of the anvil on ``port`` that dumps to ``state_file`` (0: none)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and anvil_of(int(entry.name), state_file) == port:
            return int(entry.name)
    return 0


def state_file_ok(path: Path) -> bool:
    try:
        return isinstance(orjson.loads(path.read_bytes()), dict)
    except (OSError, orjson.JSONDecodeError):
        return False


def state_ahead_of_blocks(state: dict[str, Any]) -> bool:
    """Whether an anvil state dump has an externally owned account whose nonce is past its transactions in the
    dump's history: anvil wrote it while mining, and the state has the effects of transactions its blocks do not
    hold. Loaded, that chain has settlements without receipts or logs, which nothing downstream can explain."""
    sent: dict[str, int] = {}
    for tx in state.get("transactions") or []:
        info = tx.get("info") or {}
        sender, nonce = str(info.get("from", "")).lower(), info.get("nonce")
        if sender and nonce is not None:
            sent[sender] = max(sent.get(sender, 0), _int(nonce) + 1)
    for address, account in (state.get("accounts") or {}).items():
        if account.get("code") not in (None, "", "0x"):
            continue  # a contract's nonce counts its creations, not transactions
        if _int(account.get("nonce", 0)) > sent.get(address.lower(), 0):
            return True
    return False


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _dump_problem(path: Path) -> str | None:
    """Why the dump at ``path`` must not be loaded (cut short, or ahead of its blocks), or None."""
    try:
        state = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return "was cut short (anvil killed while writing it)"
    if not isinstance(state, dict):
        return "was cut short (anvil killed while writing it)"
    if state_ahead_of_blocks(state):
        return "has a state ahead of its blocks (anvil killed while writing it)"
    return None


def restore_chain_state(state: Path) -> str | None:
    """Make the chain state dump loadable before anvil starts: a dump cut short is moved aside and replaced by the
    last good copy. Returns a line for the operator when it did so."""
    dump, good = state / STATE_FILE, state / GOOD_COPY
    problem = _dump_problem(dump) if dump.exists() else None
    if problem is None:
        return None
    if problem.startswith("has a state") and not (good.exists() and state_file_ok(good)):
        return f"chain state {dump} {problem}, and there is no good copy: loaded as it is"
    broken = state / f"{STATE_FILE}.broken"
    dump.replace(broken)
    if good.exists() and state_file_ok(good):
        shutil.copyfile(good, dump)
        age = time.time() - good.stat().st_mtime
        return (
            f"chain state {dump} {problem}; kept as {broken.name}: restarted from the last good copy ({age:.0f} s old)"
        )
    raise StartupError(
        f"chain state {dump} was cut short (moved to {broken}) and there is no good copy: "
        f"delete {state} to start over (or put a good anvil state dump at {dump})"
    )


class StateKeeper:
    """Keeps ``anvil-state.good.json``: a copy of the chain's state dump taken whenever the dump changed, parses and
    is not ahead of its blocks (anvil rewrites the dump in place every few seconds, so it can be caught half-written,
    and it writes it while mining, so its state can hold transactions its blocks do not)."""

    def __init__(self, state: Path, interval_s: float = 10.0) -> None:
        self.dump, self.good = state / STATE_FILE, state / GOOD_COPY
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._seen = 0.0
        self._thread = threading.Thread(target=self._run, name="chain-state-keeper", daemon=True)

    def start(self) -> StateKeeper:
        self.keep()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def keep(self) -> bool:
        """Copy the dump if it changed, parses and is not ahead of its blocks; True when it did."""
        try:
            mtime = self.dump.stat().st_mtime
            if mtime == self._seen:
                return False
            data = self.dump.read_bytes()
            parsed = orjson.loads(data)
            if not isinstance(parsed, dict) or state_ahead_of_blocks(parsed):
                return False
        except (OSError, orjson.JSONDecodeError):
            return False
        tmp = self.good.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(self.good)
        self._seen = mtime
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.keep()


@dataclass
class Chain:
    """The chain of a stack: started here (``node``) or adopted (``pid`` of a surviving anvil)."""

    url: str
    port: int
    pid: int
    node: Anvil | None = None
    adopted: bool = False
    keeper: StateKeeper | None = None
    notes: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.keeper is not None:
            self.keeper.stop()
        if self.node is not None:
            self.node.stop()
        elif self.pid:
            stop_pid(self.pid)
        if self.keeper is not None:
            self.keeper.keep()  # anvil's dump on exit


def start_chain(state: Path, port: int, block_time: float, previous: StackInfo | None) -> Chain:
    """Start anvil on ``port`` with its state in the state directory, or adopt the one a killed runner left."""
    dump = state / STATE_FILE
    url = f"http://127.0.0.1:{port}"
    survivor = previous.anvil_pid if previous is not None and previous.anvil_pid else 0
    survivor_port = anvil_of(survivor, dump) if survivor else None
    if survivor_port is not None and survivor_port != port:
        raise StartupError(
            f"this state dir's chain is still running on port {survivor_port} (pid {survivor}, left by a runner "
            f"that was killed): run make run CHAIN_PORT={survivor_port} to adopt it, or stop it (kill {survivor})"
        )
    if port_in_use(port):
        chain_id = chain_id_at(url)
        pid = survivor if survivor_port == port else find_anvil(port, dump)
        if chain_id is None:
            raise StartupError(f"port {port} (chain) is taken by another program: stop it or choose another CHAIN_PORT")
        if not pid:
            raise StartupError(
                f"port {port} (chain) serves a chain (id {chain_id}) that is not this state dir's: "
                f"stop it or choose another CHAIN_PORT"
            )
        chain = Chain(url, port, pid, adopted=True)
        chain.notes.append(f"adopted the chain left running on port {port} (anvil pid {pid}); it stops with this run")
    else:
        notes = [note] if (note := restore_chain_state(state)) else []
        node = Anvil(
            port=port,
            block_time=block_time,
            log_path=state / "anvil.log",
            extra_args=("--state", str(dump), "--state-interval", "5"),
            survive_parent=True,
        )
        try:
            node.start()
        except AnvilError as exc:
            raise StartupError(f"the chain did not start: {exc}; see {state / 'anvil.log'}") from None
        assert node.process is not None
        chain = Chain(url, port, node.process.pid, node=node, notes=notes)
    chain.keeper = StateKeeper(state).start()
    return chain


# --- the store ------------------------------------------------------------------------------------------------
def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def open_store(url: str) -> Database:
    """Connect to and migrate the store; a store that does not answer is one line."""
    try:
        return connect_database(url)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        raise StartupError(
            f"database {_safe_url(url)} cannot be used ({reason}): start it, create it, or set another "
            f"POLYCLOB_DATABASE_URL"
        ) from None


def _foreign_markets(db: Database, w3: Web3, manifest: Manifest) -> list[str]:
    """Markets of the store that this deployment's exchange has not registered (they belong to another chain)."""
    exchange: Any = contract_at(w3, "Exchange", manifest.contracts["exchange"])
    with db.engine.connect() as conn:
        rows = conn.execute(select(markets.c.condition_id, markets.c.yes_token_id)).all()
    foreign = []
    for condition, yes in rows:
        if "0x" + bytes(exchange.functions.getConditionId(int(yes)).call()).hex() != condition.lower():
            foreign.append(condition)
    return foreign


def bind_store(url: str, manifest: Manifest, w3: Web3, state: Path, own_sqlite: bool) -> list[str]:
    """Make sure the store at ``url`` belongs to this deployment, and record it there. The state directory's own
    SQLite file (``own_sqlite``) of another chain is moved aside and started afresh; any other store of another
    chain is refused. Returns lines for the operator."""
    notes: list[str] = []
    db = open_store(url)
    try:
        with db.engine.connect() as conn:
            recorded = [str(r) for r in conn.execute(select(deployment.c.deployment_id)).scalars()]
        foreign = [r for r in recorded if r != manifest.deployment_id]
        if not recorded:  # a store from before the record: its markets tell
            markets_elsewhere = _foreign_markets(db, w3, manifest)
            if markets_elsewhere:
                foreign = [f"markets {', '.join(m[:10] + '…' for m in markets_elsewhere[:3])} not on this chain"]
        if foreign:
            if not own_sqlite:
                name = _db_name(url)
                raise StartupError(
                    f"database {_safe_url(url)} belongs to another chain ({foreign[0]}; this chain is "
                    f"{manifest.deployment_id}): drop it{f' (dropdb {name})' if name else ''} or set another "
                    f"POLYCLOB_DATABASE_URL"
                )
            db.dispose()
            stamp = time.strftime("%Y%m%dT%H%M%S")
            for suffix in ("", "-wal", "-shm"):
                old = state / f"polyclob.db{suffix}"
                if old.exists():
                    old.replace(state / f"polyclob.db{suffix}.{stamp}.other-chain")
            notes.append(
                f"{state / 'polyclob.db'} described another chain: moved aside (*.{stamp}.other-chain), started afresh"
            )
            db = open_store(url)
            recorded = []
        if not recorded:
            with db.engine.begin() as conn:
                conn.execute(
                    insert(deployment).values(
                        deployment_id=manifest.deployment_id,
                        chain_id=manifest.chain_id,
                        exchange=manifest.contracts.get("exchange", ""),
                        deploy_block=manifest.deploy_block,
                        recorded_at_ms=int(time.time() * 1000),
                    )
                )
    finally:
        db.dispose()
    return notes


def _db_name(url: str) -> str:
    try:
        parsed = make_url(url)
    except Exception:
        return ""
    return "" if parsed.get_backend_name() == "sqlite" else str(parsed.database or "")


# --- markets --------------------------------------------------------------------------------------------------
def has_book(api_url: str, token_id: int) -> bool:
    return httpx.get(f"{api_url}/book", params={"token_id": str(token_id)}, timeout=30).status_code == 200


def open_in_book(
    api_url: str, admin_token: str, manifest: Manifest, market: OnchainMarket, details: dict[str, Any]
) -> None:
    """Open an on-chain market in the store's book (``POST /admin/markets``) with the chain's facts."""
    body = {
        "condition_id": market.condition_id,
        "question_id": market.question_id,
        "yes_token_id": str(market.yes_token),
        "no_token_id": str(market.no_token),
        "oracle": manifest.contracts["oracle"],
        "question": str(details.get("question", "")),
        "tick_size": str(details.get("tick_size", "0.01")),
        "min_order_size": str(details.get("min_order_size", "5")),
        "fee_rate_bps": int(details.get("fee_rate_bps", 0)),
    }
    if details.get("market_slug"):
        body["market_slug"] = str(details["market_slug"])
    resp = httpx.post(
        f"{api_url}/admin/markets", json=body, headers={"Authorization": f"Bearer {admin_token}"}, timeout=30
    )
    if resp.status_code != 200:
        raise StartupError(
            f"market {market.condition_id} is on chain but the book refused it ({resp.status_code}: "
            f"{resp.text[:200]}): see {api_url}/admin/stream"
        )


def adopt_markets(api_url: str, admin_token: str, manifest: Manifest, w3: Web3, state: Path) -> list[str]:
    """Open in the book every market registered on chain that the book lacks; returns their condition ids."""
    known = known_markets(state)
    adopted = []
    for market in registered_markets(w3, manifest):
        if has_book(api_url, market.yes_token):
            continue
        open_in_book(api_url, admin_token, manifest, market, known.get(market.condition_id, {}))
        adopted.append(market.condition_id)
    return adopted


# --- the distributed mode's command streams ---------------------------------------------------------------------
def _journaled_bus_seqs(url: str, shards: list[str]) -> dict[str, int]:
    db = open_store(url)
    try:
        found = {}
        for shard in shards:
            with db.engine.connect() as conn:
                head = conn.execute(select(func.max(journal.c.seq)).where(journal.c.stream == shard)).scalar()
            found[shard] = last_bus_seq(db, shard, int(head or 0))
        return found
    finally:
        db.dispose()


async def _command_streams(servers: list[str], shards: list[str]) -> dict[str, tuple[int, int]]:
    """(messages, last sequence) of each shard's command stream that exists on the bus."""

    async def quiet(_exc: Exception) -> None:
        pass

    nc = await nats.connect(
        servers=servers,
        name="startup-check",
        allow_reconnect=False,
        max_reconnect_attempts=1,
        reconnect_time_wait=0.1,
        connect_timeout=2,
        error_cb=quiet,
    )
    try:
        js = nc.jetstream()
        found = {}
        for shard in shards:
            try:
                info = await js.stream_info(cmd_stream(shard))
            except NotFoundError:
                continue
            found[shard] = (int(info.state.messages), int(info.state.last_seq))
        return found
    finally:
        await nc.close()


def check_command_streams(url: str, nats_url: str, servers: list[str], shards: list[str]) -> None:
    """The distributed mode: refuse command streams this store did not consume. JetStream streams live on the NATS
    server, not in the state directory, and a shard's sequencer consumes its stream from the sequence after the
    last one its store journaled: a store that never journaled a shard would apply every command the stream still
    holds (24 h) from another state directory's run that used the same shard name."""
    try:
        streams = asyncio.run(_command_streams(servers, shards))
    except Exception as exc:
        raise StartupError(f"NATS at {nats_url} does not answer ({exc or type(exc).__name__}): start it or set "
                           f"POLYCLOB_NATS_URL") from None  # fmt: skip
    journaled = _journaled_bus_seqs(url, shards)
    for shard, (messages, last) in streams.items():
        if (journaled[shard] == 0 and messages > 0) or journaled[shard] > last:
            raise StartupError(
                f"NATS stream CMD_{shard} is not this store's (it holds {messages} commands up to {last}; the store "
                f"journaled shard {shard} up to {journaled[shard]}): another state dir or run used shard {shard}. "
                f"Choose other shard names (POLYCLOB_SHARDS=...) or remove its streams if no other stack uses them "
                f"(nats stream rm CMD_{shard}; nats stream rm JOURNAL_{shard})"
            )
