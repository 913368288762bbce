"""An exchange's account and records as JSON-ready data, and back: a paper venue survives a restart.

``dump`` keeps what the venue holds (coins, positions, leverage, margin mode, realised PnL, orders, executions,
liquidations) and how far it has processed the market; ``load`` puts it back into an ``Exchange`` built with the
same instruments. Market data is not kept: the market it trades on keeps its own (``LiveMarket.dump``).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from hedgesim.account import Position
from hedgesim.enums import MarginMode
from hedgesim.exchange import Exchange
from hedgesim.jsonable import plain
from hedgesim.orders import Execution, SimOrder
from hedgesim.state import Ids

FORMAT = 1
R = TypeVar("R")


def dump(exchange: Exchange) -> dict[str, Any]:
    venue = exchange.venue
    account = venue.account
    orders = sorted(venue.orders, key=venue.orders.number)
    data: dict[str, Any] = plain(
        {
            "format": FORMAT,
            "processed_ms": exchange.processed_ms,
            "seq": venue.seq,
            "account": {
                "coins": account.coins,
                "positions": list(account.positions.values()),
                "leverage": account.leverage,
                "margin_mode": account.margin_mode,
                "cum_realised": account.cum_realised,
                "touched": account.touched,
                "first_opened": account.first_opened,
                "seq": account.seq,
                "realised_by_coin": account.realised_by_coin,
            },
            "orders": orders,
            "executions": venue.executions,
            "liquidations": venue.liquidations,
        }
    )
    return data


def load(exchange: Exchange, data: Mapping[str, Any]) -> None:
    """Restore ``dump``'s data into ``exchange`` (fresh, with the same instruments); ``ValueError`` if it is not
    data ``dump`` wrote."""
    if data.get("format") != FORMAT:
        raise ValueError(f"not a saved venue of format {FORMAT}: format {data.get('format')!r}")
    venue = exchange.venue
    account = venue.account
    saved = data["account"]
    account.coins = _decimals(saved["coins"])
    account.positions = {p.symbol: p for p in (_record(Position, row) for row in saved["positions"])}
    account.leverage = _decimals(saved["leverage"])
    account.margin_mode = MarginMode(saved["margin_mode"])
    account.cum_realised = _decimals(saved["cum_realised"])
    account.touched = {k: int(v) for k, v in saved["touched"].items()}
    account.first_opened = {k: int(v) for k, v in saved["first_opened"].items()}
    account.seq = {k: int(v) for k, v in saved["seq"].items()}
    account.realised_by_coin = _decimals(saved["realised_by_coin"])
    for row in data["orders"]:
        venue.orders.put(_record(SimOrder, row))
    venue.executions = [_record(Execution, row) for row in data["executions"]]
    venue.liquidations = [_record(Execution, row) for row in data["liquidations"]]
    venue.seq = int(data["seq"])
    exchange.processed_ms = int(data["processed_ms"])
    venue.ids = Ids(venue.seq + len(venue.executions))  # fresh ids: a new seed, never the first run's sequence


def _decimals(values: Mapping[str, Any]) -> dict[str, Decimal]:
    return {key: Decimal(str(value)) for key, value in values.items()}


def _record(cls: type[R], row: Mapping[str, Any]) -> R:
    """A frozen record from its ``plain`` form: each field converted back by its annotated type."""
    hints = typing.get_type_hints(cls)
    values = {f.name: _value(hints[f.name], row[f.name]) for f in dataclasses.fields(cls) if f.name in row}  # type: ignore[arg-type]
    return cls(**values)


def _value(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    options = [k for k in typing.get_args(kind) if k is not type(None)] if typing.get_origin(kind) else [kind]
    target = options[0]
    if target is Decimal:
        return Decimal(str(value))
    if isinstance(target, type) and issubclass(target, Enum):
        return target(value)
    if target is int:
        return int(value)
    return value
