"""The simulated venue's mutable state, shared by trading, risk and balance code; deterministic ids."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hedgesim.account import Account
from hedgesim.collateral import CollateralTier
from hedgesim.enums import Side
from hedgesim.errors import SimReject
from hedgesim.instruments import Category, Instrument
from hedgesim.orders import ExecType, Execution, OrderStore
from hedgesim.source import MarketSource


class Ids:
    """Venue ids in Bybit's styles from a seeded generator: UUIDs (linear orders, executions), 19-digit numbers
    (spot orders and executions). The same seed gives the same ids, so replays are reproducible."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        self._number = 1_900_000_000_000_000_000 + seed * 1_000_000

    def uuid(self) -> str:
        text = f"{self._random.getrandbits(128):032x}"
        return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-a{text[17:20]}-{text[20:]}"

    def number(self) -> str:
        self._number += 1
        return str(self._number)

    def for_category(self, category: Category) -> str:
        return self.number() if category is Category.SPOT else self.uuid()


@dataclass
class Venue:
    """Everything the simulated exchange holds: instruments, the market it trades on (replayed or live), the account
    and its records."""

    instruments: dict[tuple[Category, str], Instrument]
    market: MarketSource
    account: Account
    ids: Ids
    participation: Decimal  # share of the volume traded through a resting order's price that fills it
    collateral: Mapping[str, tuple[CollateralTier, ...]] = field(default_factory=dict)  # ratios beyond the default
    orders: OrderStore = field(default_factory=OrderStore)
    executions: list[Execution] = field(default_factory=list)
    liquidations: list[Execution] = field(default_factory=list)
    seq: int = 0
    # liquidity already taken from each synthetic book side since the market last moved
    consumed: dict[tuple[Category, str, Side], dict[Decimal, Decimal]] = field(default_factory=dict)

    def instrument(self, category: Category, name: str) -> Instrument:
        instrument = self.instruments.get((category, name))
        if instrument is None:
            raise SimReject(10001, f"params error: symbol {name} invalid")
        return instrument

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def record(
        self,
        exec_type: ExecType,
        instrument: Instrument,
        side: Side,
        qty: Decimal,
        price: Decimal,
        now_ms: int,
        **details: Any,
    ) -> Execution:
        """Book one execution on the account's record: ids, sequence and time filled in."""
        trade = exec_type is ExecType.TRADE
        execution = Execution(
            exec_id=self.ids.for_category(instrument.category) if trade else self.ids.uuid(),
            exec_type=exec_type,
            category=instrument.category,
            symbol=instrument.name,
            side=side,
            qty=qty,
            price=price,
            time_ms=now_ms,
            seq=self.next_seq(),
            **({} if trade else {"order_id": self.ids.uuid()}) | details,
        )
        self.executions.append(execution)
        if instrument.category is Category.LINEAR:
            self.account.seq[instrument.name] = execution.seq
        return execution

    def last(self, instrument: Instrument, now_ms: int) -> Decimal:
        return self.market.last(instrument.category, instrument.base, now_ms)

    def mark(self, instrument: Instrument, now_ms: int) -> Decimal:
        """The published mark price, on the perpetual's tick: what funding and PnL are computed at."""
        return instrument.on_tick(self.market.mark(instrument.base, now_ms))

    def index(self, instrument: Instrument, now_ms: int) -> Decimal:
        """The published index price (spot), on the perpetual's tick."""
        return instrument.on_tick(self.market.index(instrument.base, now_ms))

    def linear(self, name: str) -> Instrument:
        return self.instrument(Category.LINEAR, name)
