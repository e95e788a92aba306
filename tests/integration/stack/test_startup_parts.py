"""The parts of start-up on an existing state directory, on the session chain and real SQLite files: markets
adopted from the chain, funding up to a target, the store's deployment record, the chain state dump's good copy,
and where CLIs find the stack."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from orjson import dumps as _orjson_dumps
from sqlalchemy import select

from chain.deploy import Manifest, is_live
from chain.markets import ensure_funded, ensure_market, market_for_question, question_id, registered_markets
from chain.stack import StackInfo, StackNotRunningError, live_rpc_url, live_stack, rpc_url_for
from polyclob.startup import StartupError, StateKeeper, bind_store, restore_chain_state
from store import connect_database
from store.schema import deployment
from tests.support.chain import Chain

USDC = 1_000_000


def test_ensure_market_adopts_a_market_the_chain_has(chain: Chain) -> None:
    admin = chain.deployer
    created, new = ensure_market(admin, chain.manifest, "Adopt me?")
    assert new
    again, new_again = ensure_market(admin, chain.manifest, "Adopt me?")  # no AlreadyInitialized
    assert not new_again
    assert again == created
    assert created in registered_markets(chain.w3, chain.manifest)
    qid, condition, prepared, registered = market_for_question(chain.w3, chain.manifest, "Adopt me?")
    assert (qid, condition, prepared, registered) == (created.question_id, created.condition_id, True, True)


def test_ensure_market_initializes_a_question_whose_condition_a_stranger_prepared(chain: Chain) -> None:
    admin, stranger = chain.deployer, chain.signer(6)
    qid, condition, initialized, _ = market_for_question(chain.w3, chain.manifest, "Pre-empted?")
    assert qid == question_id(admin.address, "Pre-empted?")
    ctf = chain.contract("ConditionalTokens", "ctf")
    stranger.transact(ctf.functions.prepareCondition(chain.manifest.contracts["oracle"], bytes.fromhex(qid[2:]), 2))
    assert not initialized
    assert market_for_question(chain.w3, chain.manifest, "Pre-empted?")[2] is False  # prepared is not initialized
    created, new = ensure_market(admin, chain.manifest, "Pre-empted?")
    assert new
    assert (created.question_id, created.condition_id) == (qid, condition)
    assert market_for_question(chain.w3, chain.manifest, "Pre-empted?")[2:] == (True, True)
    oracle = chain.contract("OptimisticOracle", "oracle")
    assert oracle.functions.getQuestion(bytes.fromhex(qid[2:])).call()[0] == 1  # Open: resolvable by the oracle


def test_ensure_funded_tops_up_to_the_target_only(chain: Chain) -> None:
    market, _ = ensure_market(chain.deployer, chain.manifest, "Fund me?")
    trader = chain.signer(7)
    usdc = chain.contract("MockUSDC", "collateral")
    ctf = chain.contract("ConditionalTokens", "ctf")

    def held() -> tuple[int, int, int]:
        return (
            int(usdc.functions.balanceOf(trader.address).call()),
            int(ctf.functions.balanceOf(trader.address, market.yes_token).call()),
            int(ctf.functions.balanceOf(trader.address, market.no_token).call()),
        )

    target = {market.condition_id: 100 * USDC}
    added = ensure_funded(chain.deployer, trader, chain.manifest, 500 * USDC, target)
    assert added == {"usdc": 500 * USDC, market.condition_id: 100 * USDC}
    assert held() == (500 * USDC, 100 * USDC, 100 * USDC)
    assert ensure_funded(chain.deployer, trader, chain.manifest, 500 * USDC, target) == {"usdc": 0}
    assert held() == (500 * USDC, 100 * USDC, 100 * USDC)
    trader.transact(usdc.functions.transfer(chain.deployer.address, 200 * USDC))  # spent some: topped up again
    assert ensure_funded(chain.deployer, trader, chain.manifest, 500 * USDC, target)["usdc"] == 200 * USDC
    assert held() == (500 * USDC, 100 * USDC, 100 * USDC)


def test_a_store_is_bound_to_its_deployment(chain: Chain, tmp_path: Path) -> None:
    assert chain.manifest.deploy_block_hash  # deploy() records it
    assert is_live(chain.manifest, chain.w3)
    assert not is_live(replace(chain.manifest, deploy_block_hash="0x" + "00" * 32), chain.w3)
    own = f"sqlite:///{tmp_path / 'polyclob.db'}"
    assert bind_store(own, chain.manifest, chain.w3, tmp_path, own_sqlite=True) == []
    assert bind_store(own, chain.manifest, chain.w3, tmp_path, own_sqlite=True) == []
    db = connect_database(own)
    with db.engine.connect() as conn:
        assert list(conn.execute(select(deployment.c.deployment_id)).scalars()) == [chain.manifest.deployment_id]
    db.dispose()

    other = replace(chain.manifest, deploy_block_hash="0x" + "11" * 32)  # the chain was reset and redeployed
    with pytest.raises(StartupError, match="belongs to another chain"):
        bind_store(own, other, chain.w3, tmp_path, own_sqlite=False)
    notes = bind_store(own, other, chain.w3, tmp_path, own_sqlite=True)
    assert "described another chain" in notes[0]
    assert list(tmp_path.glob("polyclob.db.*.other-chain"))


def test_a_store_from_before_the_record_is_checked_by_its_markets(chain: Chain, tmp_path: Path) -> None:
    from sqlalchemy import insert

    from store.schema import markets

    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = connect_database(url)
    with db.engine.begin() as conn:
        conn.execute(
            insert(markets).values(
                condition_id="0x" + "ab" * 32, question_id="", yes_token_id="1", no_token_id="2", tick_size="0.01",
                min_order_size=5, created_at_ms=0,
            )
        )  # fmt: skip
    db.dispose()
    with pytest.raises(StartupError, match="another chain"):
        bind_store(url, chain.manifest, chain.w3, tmp_path, own_sqlite=False)


def test_the_good_copy_of_the_chain_state_replaces_a_dump_cut_short(tmp_path: Path) -> None:
    dump, good = tmp_path / "anvil-state.json", tmp_path / "anvil-state.good.json"
    dump.write_text('{"block": {"number": "0x5"}, "accounts": {}}')
    keeper = StateKeeper(tmp_path)
    assert keeper.keep()
    assert not keeper.keep()  # unchanged
    assert good.read_text() == dump.read_text()
    whole = dump.read_text()
    dump.write_text(whole[:20])  # kill -9 while anvil rewrote it in place
    os.utime(dump, (1, 1))
    assert not keeper.keep()  # a half-written dump is never copied
    note = restore_chain_state(tmp_path)
    assert note is not None
    assert "cut short" in note
    assert dump.read_text() == whole
    assert (tmp_path / "anvil-state.json.broken").read_text() == whole[:20]
    assert restore_chain_state(tmp_path) is None
    dump.write_text(whole[:20])
    good.unlink()
    with pytest.raises(StartupError, match="no good copy"):
        restore_chain_state(tmp_path)


def test_clis_find_the_stack_or_say_there_is_none(chain: Chain, tmp_path: Path) -> None:
    manifest_path = tmp_path / "deployment.json"
    replace(chain.manifest, rpc_url="").save(manifest_path)
    assert "rpc_url" not in manifest_path.read_text()
    assert Manifest.load(manifest_path).rpc_url == ""
    with pytest.raises(StackNotRunningError, match=f"no stack running on {tmp_path}"):
        live_rpc_url(tmp_path)
    with pytest.raises(SystemExit, match="no stack running"):
        rpc_url_for(manifest_path)
    assert rpc_url_for(manifest_path, "http://standalone:8545") == "http://standalone:8545"

    StackInfo(str(tmp_path), os.getpid(), chain.anvil.url, chain.anvil.port, phase="starting").save(tmp_path)
    assert live_rpc_url(tmp_path) == chain.anvil.url
    assert rpc_url_for(manifest_path, "http://standalone:8545") == chain.anvil.url
    with pytest.raises(StackNotRunningError, match="still starting"):
        live_stack(tmp_path)
    StackInfo(str(tmp_path), 2**22 + 12345, chain.anvil.url, chain.anvil.port, phase="ready").save(tmp_path)
    with pytest.raises(StackNotRunningError, match="no stack running"):
        live_stack(tmp_path)  # its runner is gone


def test_a_chain_left_running_is_adopted_on_its_port_only(tmp_path: Path) -> None:
    from chain.anvil import Anvil, free_port
    from chain.stack import pid_alive
    from polyclob.startup import start_chain

    port = free_port()
    left = Anvil(port=port, extra_args=("--state", str(tmp_path / "anvil-state.json"))).start()
    assert left.process is not None
    pid = left.process.pid
    try:
        previous = StackInfo(str(tmp_path), 2**22 + 1, left.url, port, anvil_pid=pid)
        with pytest.raises(StartupError, match=f"still running on port {port}.*CHAIN_PORT={port}"):
            start_chain(tmp_path, free_port(), 1.0, previous)
        adopted = start_chain(tmp_path, port, 1.0, previous)
        assert (adopted.adopted, adopted.pid, adopted.url) == (True, pid, left.url)
        assert "adopted" in adopted.notes[0]
        found = start_chain(tmp_path, port, 1.0, None)  # no stack.json: found by its port and --state file
        assert found.pid == pid
        assert found.keeper is not None
        found.keeper.stop()
        adopted.stop()
        assert not pid_alive(pid)
    finally:
        left.stop()


def test_a_chain_port_serving_another_chain_is_refused(chain: Chain, tmp_path: Path) -> None:
    from polyclob.startup import start_chain

    with pytest.raises(StartupError, match=f"port {chain.anvil.port} .*not this state dir's"):
        start_chain(tmp_path, chain.anvil.port, 1.0, None)


def test_no_anvil_binary_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chain.anvil import free_port
    from polyclob.startup import start_chain

    monkeypatch.setattr("chain.anvil.ANVIL_BIN", tmp_path / "node_modules" / "anvil")
    with pytest.raises(StartupError, match="make bootstrap"):
        start_chain(tmp_path, free_port(), 1.0, None)


def test_command_streams_of_another_store_are_refused(tmp_path: Path) -> None:
    import asyncio
    import socket
    import uuid

    import nats

    from clob.distributed.bus import cmd_stream, cmd_subject, ensure_streams, journal_stream
    from polyclob.startup import check_command_streams

    try:
        socket.create_connection(("127.0.0.1", 4222), timeout=1).close()
    except OSError:
        pytest.skip("NATS not reachable at 127.0.0.1:4222")
    shard = f"t{uuid.uuid4().hex[:10]}"
    servers = ["nats://127.0.0.1:4222"]
    url = f"sqlite:///{tmp_path / 'fresh.db'}"

    async def streams(publish: int, remove: bool = False) -> None:
        nc = await nats.connect(servers=servers)
        js = nc.jetstream()
        if remove:
            for name in (cmd_stream(shard), journal_stream(shard)):
                await js.delete_stream(name)
        else:
            await ensure_streams(js, [shard])
            for i in range(publish):
                await js.publish(cmd_subject(shard), b"{}", headers={"Nats-Msg-Id": f"m{i}"})
        await nc.close()

    check_command_streams(url, servers[0], servers, [shard])  # no stream yet
    asyncio.run(streams(0))
    check_command_streams(url, servers[0], servers, [shard])  # an empty stream
    asyncio.run(streams(2))
    try:
        with pytest.raises(StartupError, match=f"CMD_{shard} is not this store's.*POLYCLOB_SHARDS"):
            check_command_streams(url, servers[0], servers, [shard])  # a store that never journaled the shard
    finally:
        asyncio.run(streams(0, remove=True))
    with pytest.raises(StartupError, match=r"NATS at nats://127\.0\.0\.1:1 does not answer"):
        check_command_streams(url, "nats://127.0.0.1:1", ["nats://127.0.0.1:1"], [shard])


def json_dumps(obj: object) -> str:
    return _orjson_dumps(obj).decode()


def _dump(path: Path, nonce: int, sent: int) -> str:
    """A state dump whose account 0xa has ``nonce`` and whose history holds its transactions 0..sent-1."""
    txs = [{"info": {"from": "0xa", "nonce": n}} for n in range(sent)]
    text = json_dumps({"block": {"number": "0x5"}, "accounts": {"0xa": {"nonce": nonce, "code": "0x"}},
                       "transactions": txs})  # fmt: skip
    path.write_text(text)
    return text


def test_a_dump_whose_state_is_ahead_of_its_blocks_is_not_loaded(tmp_path: Path) -> None:
    """anvil can write a dump while it mines: the state then has transactions its blocks do not (seen: the
    operator's nonce 93, its transactions up to 77). Loaded, the chain would hold settlements without receipts or
    logs. Such a dump is never kept as the good copy, and the good copy replaces it at start-up."""
    dump, good = tmp_path / "anvil-state.json", tmp_path / "anvil-state.good.json"
    whole = _dump(dump, 3, 3)
    keeper = StateKeeper(tmp_path)
    assert keeper.keep()
    torn = _dump(dump, 5, 3)
    os.utime(dump, (2, 2))
    assert not keeper.keep(), "a torn dump is not copied"
    assert good.read_text() == whole
    note = restore_chain_state(tmp_path)
    assert note is not None
    assert "ahead of its blocks" in note
    assert dump.read_text() == whole
    assert (tmp_path / "anvil-state.json.broken").read_text() == torn
    # without a good copy it is loaded all the same (the batcher copes: settlement/orderstate.py), with a note
    good.unlink()
    _dump(dump, 5, 3)
    note = restore_chain_state(tmp_path)
    assert note is not None
    assert "no good copy" in note
    assert json.loads(dump.read_text())["accounts"]["0xa"]["nonce"] == 5
