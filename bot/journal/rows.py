"""The journal's rows: domain values turned into columns (by name), and the one INSERT every writer uses."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from bot.domain import HedgeTarget, Order, OrderIntent
from bot.exchange.port import OrderRequest
from bot.journal.codec import dec_text, ms, to_json
from bot.journal.records import CycleRecord, DecisionRecord, HoldingDecisionRecord, OrderOrigin

Row = Mapping[str, object]


def cycle_row(cycle: CycleRecord) -> dict[str, object]:
    return {
        "run_id": cycle.run_id,
        "number": cycle.number,
        "at_ms": ms(cycle.at),
        "trading_state": cycle.trading_state.value,
        "holdings_value": dec_text(cycle.holdings_value),
        "hedge_notional": dec_text(cycle.hedge_notional),
        "summary": to_json(cycle.summary),
    }


def target_rows(cycle_id: int, targets: Iterable[HedgeTarget]) -> list[dict[str, object]]:
    return [
        {"cycle_id": cycle_id, "symbol": t.symbol, "contracts": dec_text(t.contracts),
         "notional": dec_text(t.notional), "components": to_json(t.components), "notes": to_json(t.notes)}
        for t in targets
    ]  # fmt: skip


def intent_rows(cycle_id: int, intents: Iterable[OrderIntent]) -> list[dict[str, object]]:
    return [
        {"cycle_id": cycle_id, "symbol": i.symbol, "side": i.side.value, "amount": dec_text(i.amount),
         "price": dec_text(i.price), "reduce_only": i.reduce_only, "post_only": i.post_only,
         "reason": i.reason.value, "notional": dec_text(i.notional), "replaces": i.replaces, "note": i.note}
        for i in intents
    ]  # fmt: skip


def decision_row(cycle_id: int, d: DecisionRecord) -> dict[str, Any]:
    """A holding's row under its asset; an instrument's under its symbol, with no value, ratio or quantity."""
    if isinstance(d, HoldingDecisionRecord):
        asset, value, ratio, quantity = d.asset, d.value, d.ratio, d.quantity
    else:
        asset, value, ratio, quantity = d.symbol, None, None, None
    return {
        "cycle_id": cycle_id, "asset": asset, "symbol": d.symbol, "reason": d.reason.value, "note": d.note,
        "value": dec_text(value), "ratio": dec_text(ratio), "target": dec_text(d.target),
        "current": dec_text(d.current), "in_flight": dec_text(d.in_flight), "gap": dec_text(d.gap),
        "price": dec_text(d.price), "quantity": dec_text(quantity),
    }  # fmt: skip


def order_row(
    venue: str, run_id: str | None, intent_id: int | None, origin: OrderOrigin, cid: str, o: OrderRequest | Order
) -> dict[str, object]:
    return {
        "client_order_id": cid, "venue": venue, "run_id": run_id, "intent_id": intent_id, "origin": origin.value,
        "symbol": o.symbol, "side": o.side.value, "amount": dec_text(o.amount), "price": dec_text(o.price),
        "reduce_only": o.reduce_only, "post_only": o.post_only,
    }  # fmt: skip


def insert(conn: sqlite3.Connection, table: str, row: Row, *, or_ignore: bool = False) -> int:
    """INSERT one row by column name (names come from this package, never from input); its id, 0 if ignored."""
    cursor = conn.execute(_insert_sql(table, tuple(row), or_ignore), tuple(row.values()))
    return (cursor.lastrowid or 0) if cursor.rowcount else 0


@lru_cache(maxsize=256)
def _insert_sql(table: str, columns: tuple[str, ...], or_ignore: bool) -> str:
    """The INSERT statement for these columns, written once (SQLite's own cache then finds it prepared)."""
    verb = "INSERT OR IGNORE" if or_ignore else "INSERT"
    return f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
