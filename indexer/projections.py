"""Decoded logs → table rows: the raw log row for every log, typed rows for the events that have a table, and the
ERC1155 balance deltas of CTF transfers. Pure functions over values; the store decides what is new and writes it.

A typed row is only produced when the log came from the contract whose role the event belongs to (an OrderFilled
emitted by some other address is kept in ``chain_logs`` but never becomes a fill).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Table

from indexer.events import COLLATERAL, CTF, EXCHANGE, ZERO_ADDRESS, DecodedLog
from store.schema.indexer import (
    chain_cancellations,
    chain_collateral_transfers,
    chain_conditions,
    chain_ctf_transfers,
    chain_fee_charges,
    chain_fills,
    chain_logs,
    chain_matches,
    chain_token_registrations,
)

Row = dict[str, Any]
PositionKey = tuple[str, str]  # (address, token id as decimal string)


def jsonable(value: Any) -> Any:
    """Integers (not bools) as decimal strings, recursively: JSON numbers cannot carry uint256."""
    if type(value) is int:
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def string_args(args: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments as stored: integers as decimal strings (also inside arrays), the rest unchanged."""
    return {k: (str(v) if type(v) is int else v if type(v) is str else jsonable(v)) for k, v in args.items()}


def args_json(args: Mapping[str, Any]) -> str:
    return orjson.dumps(string_args(args)).decode()


@dataclass
class Projection:
    """Rows per table plus the position deltas, for one batch of logs."""

    rows: dict[Table, list[Row]] = field(default_factory=lambda: defaultdict(list))
    deltas: dict[PositionKey, int] = field(default_factory=lambda: defaultdict(int))

    def count(self, table: Table) -> int:
        return len(self.rows.get(table, ()))


def log_row(d: DecodedLog, sargs: Mapping[str, Any] | None = None) -> Row:
    """The ``chain_logs`` row of a log (``sargs``: its ``string_args``, if already computed)."""
    r = d.raw
    topics = r.topics
    n = len(topics)
    if sargs is None and d.event is not None:
        sargs = string_args(d.args)
    return {
        "block_number": r.block_number,
        "log_index": r.log_index,
        "tx_hash": r.tx_hash,
        "block_hash": r.block_hash,
        "tx_index": r.tx_index,
        "address": r.address,
        "topic0": topics[0] if n > 0 else None,
        "topic1": topics[1] if n > 1 else None,
        "topic2": topics[2] if n > 2 else None,
        "topic3": topics[3] if n > 3 else None,
        "data": r.data,
        "event": d.event.name if d.event is not None else None,
        "args": orjson.dumps(sargs).decode() if sargs is not None else "{}",
    }


Handler = Callable[[DecodedLog, dict[str, Any], "Projection"], None]


class Projector:
    """Turns decoded logs into rows, knowing which address plays which role."""

    def __init__(self, roles: Mapping[str, str]) -> None:
        self.roles = {addr.lower(): role for addr, role in roles.items()}

    def project(self, logs: Iterable[DecodedLog]) -> Projection:
        out = Projection()
        logs_rows = out.rows[chain_logs]
        roles = self.roles
        for d in logs:
            spec = d.event
            if spec is None:
                logs_rows.append(log_row(d))
                continue
            sargs = string_args(d.args)
            logs_rows.append(log_row(d, sargs))
            if roles.get(d.raw.address) != spec.contract:
                continue
            handler = _HANDLERS.get((spec.contract, spec.name))
            if handler is not None:
                handler(d, sargs, out)
        return out


def _key(d: DecodedLog) -> Row:
    return {"block_number": d.raw.block_number, "log_index": d.raw.log_index, "tx_hash": d.raw.tx_hash}


def _fill(d: DecodedLog, s: dict[str, Any], out: Projection) -> None:
    out.rows[chain_fills].append(
        {
            **_key(d),
            "exchange": d.raw.address,
            "order_hash": s["orderHash"],
            "maker": s["maker"],
            "taker": s["taker"],
            "maker_asset_id": s["makerAssetId"],
            "taker_asset_id": s["takerAssetId"],
            "maker_amount_filled": s["makerAmountFilled"],
            "taker_amount_filled": s["takerAmountFilled"],
            "fee": s["fee"],
        }
    )


def _match(d: DecodedLog, s: dict[str, Any], out: Projection) -> None:
    out.rows[chain_matches].append(
        {
            **_key(d),
            "exchange": d.raw.address,
            "taker_order_hash": s["takerOrderHash"],
            "taker_order_maker": s["takerOrderMaker"],
            "maker_asset_id": s["makerAssetId"],
            "taker_asset_id": s["takerAssetId"],
            "maker_amount_filled": s["makerAmountFilled"],
            "taker_amount_filled": s["takerAmountFilled"],
        }
    )


def _cancel(d: DecodedLog, s: dict[str, Any], out: Projection) -> None:
    out.rows[chain_cancellations].append({**_key(d), "order_hash": s["orderHash"]})


def _fee(d: DecodedLog, s: dict[str, Any], out: Projection) -> None:
    out.rows[chain_fee_charges].append(
        {**_key(d), "receiver": s["receiver"], "token_id": s["tokenId"], "amount": s["amount"]}
    )


def _token(d: DecodedLog, s: dict[str, Any], out: Projection) -> None:
    out.rows[chain_token_registrations].append(
        {**_key(d), "token0": s["token0"], "token1": s["token1"], "condition_id": s["conditionId"]}
    )


def _condition(kind: str) -> Handler:
    def handle(d: DecodedLog, s: dict[str, Any], out: Projection) -> None:
        payouts = s.get("payoutNumerators")
        out.rows[chain_conditions].append(
            {
                **_key(d),
                "kind": kind,
                "condition_id": s["conditionId"],
                "oracle": s["oracle"],
                "question_id": s["questionId"],
                "outcome_slot_count": int(d.args["outcomeSlotCount"]),
                "payout_numerators": orjson.dumps(payouts).decode() if payouts is not None else None,
            }
        )

    return handle


def _ctf_transfer_rows(d: DecodedLog, out: Projection, ids: list[int], values: list[int]) -> None:
    a = d.args
    src, dst, operator = a["from"], a["to"], a["operator"]
    key = _key(d)
    rows = out.rows[chain_ctf_transfers]
    deltas = out.deltas
    for item, (token, value) in enumerate(zip(ids, values, strict=True)):
        token_s = str(token)
        rows.append(
            {
                **key,
                "item": item,
                "operator": operator,
                "from_address": src,
                "to_address": dst,
                "token_id": token_s,
                "amount": str(value),
            }
        )
        if src != ZERO_ADDRESS:
            deltas[(src, token_s)] -= value
        if dst != ZERO_ADDRESS:
            deltas[(dst, token_s)] += value


def _transfer_single(d: DecodedLog, s: dict[str, Any], out: Projection) -> None:
    _ctf_transfer_rows(d, out, [d.args["id"]], [d.args["value"]])


def _transfer_batch(d: DecodedLog, s: dict[str, Any], out: Projection) -> None:
    ids, values = d.args["ids"], d.args["values"]
    if len(ids) == len(values):  # ERC1155 requires it; a malformed log stays raw-only
        _ctf_transfer_rows(d, out, list(ids), list(values))


def _collateral_transfer(d: DecodedLog, s: dict[str, Any], out: Projection) -> None:
    out.rows[chain_collateral_transfers].append(
        {**_key(d), "from_address": s["from"], "to_address": s["to"], "amount": s["value"]}
    )


_HANDLERS: dict[tuple[str, str], Handler] = {
    (EXCHANGE, "OrderFilled"): _fill,
    (EXCHANGE, "OrdersMatched"): _match,
    (EXCHANGE, "OrderCancelled"): _cancel,
    (EXCHANGE, "FeeCharged"): _fee,
    (EXCHANGE, "TokenRegistered"): _token,
    (CTF, "ConditionPreparation"): _condition("prepared"),
    (CTF, "ConditionResolution"): _condition("resolved"),
    (CTF, "TransferSingle"): _transfer_single,
    (CTF, "TransferBatch"): _transfer_batch,
    (COLLATERAL, "Transfer"): _collateral_transfer,
}
