"""Values written to and read from the journal (inputs the loop builds, rows the queries return)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from bot.domain import Fill, Order, OrderStatus, ReasonCode, Side, TradingState
from bot.exchange.port import OrderRequest


class OrderEventKind(StrEnum):
    """What happened to an order we journaled. ``rejected`` is the venue saying no (our gate *denies*)."""

    ACKNOWLEDGED = "acknowledged"  # the venue answered the create request (status as it reported)
    REJECTED = "rejected"  # the venue refused the create request
    OUTCOME_UNKNOWN = "outcome_unknown"  # the request failed ambiguously: look it up by client id
    UPDATE = "update"  # a status read later (fetch, reconciliation, a cancel's result)
    CANCEL_REQUESTED = "cancel_requested"  # we asked the venue to cancel it
    ADOPTED = "adopted"  # reconciliation found it live on the venue and took it over


class OrderOrigin(StrEnum):
    SENT = "sent"  # written by the executor before the create request
    ADOPTED = "adopted"  # found on the venue by reconciliation


@dataclass(frozen=True, slots=True)
class CycleRecord:
    """One cycle's snapshot summary. ``summary`` is free-form JSON-able data (Decimals become strings)."""

    run_id: str
    number: int
    at: datetime
    trading_state: TradingState
    holdings_value: Decimal
    hedge_notional: Decimal
    summary: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HoldingDecisionRecord:
    """What the cycle decided for one holding, and why, with its hedge instrument's figures (contracts, signed)."""

    asset: str
    reason: ReasonCode
    symbol: str | None = None  # the hedge instrument, if the holding has one
    value: Decimal | None = None  # spot value
    ratio: Decimal | None = None
    target: Decimal | None = None
    current: Decimal | None = None
    in_flight: Decimal | None = None
    gap: Decimal | None = None
    note: str = ""
    price: Decimal | None = None  # the holding's spot price, as the decision saw it
    quantity: Decimal | None = None  # the holding's quantity (base units)


@dataclass(frozen=True, slots=True)
class InstrumentDecisionRecord:
    """What the cycle decided for one hedge instrument, and why (contracts, signed)."""

    symbol: str
    reason: ReasonCode
    target: Decimal | None = None
    current: Decimal | None = None
    in_flight: Decimal | None = None
    gap: Decimal | None = None
    note: str = ""
    price: Decimal | None = None  # the instrument's mark, as the decision saw it


# A row of the journal's decisions: one per holding and one per instrument, every cycle.
DecisionRecord = HoldingDecisionRecord | InstrumentDecisionRecord


@dataclass(frozen=True, slots=True)
class OrderTicket:
    """Proof that an order request is in the journal: only ``Journal.record_order`` makes one. Send
    ``ticket.request`` (never a request built elsewhere) and report the outcome with the same ticket."""

    venue: str
    request: OrderRequest

    @property
    def client_order_id(self) -> str:
        return self.request.client_order_id


@dataclass(frozen=True, slots=True)
class CycleRow:
    """A cycle written in full, and the run of unchanged cycles after it that repeated what it decided (``repeats``:
    how many; ``last_number`` and ``last_at``: the last of them; ``bot.journal.folding``)."""

    cycle_id: int
    run_id: str
    venue: str | None  # the venue its run traded on (None: a run journaled without one)
    number: int
    at: datetime
    trading_state: str
    holdings_value: Decimal
    hedge_notional: Decimal
    intents: int
    approved: int
    denied: int
    orders: int
    summary: Mapping[str, Any]
    repeats: int = 0
    last_number: int | None = None
    last_at: datetime | None = None

    @property
    def latest_number(self) -> int:
        """The number of the newest cycle this row stands for (its own, or the last that repeated it)."""
        return self.number if self.last_number is None else self.last_number

    @property
    def latest_at(self) -> datetime:
        """When the newest cycle this row stands for started."""
        return self.at if self.last_at is None else self.last_at


@dataclass(frozen=True, slots=True)
class WhyRow:
    """One cycle's decision for a holding, with the gate's denials of that cycle's intents on its instrument; or a run
    of unchanged cycles' (``bot.journal.folding``): the last cycle's decision, and since when it repeated."""

    cycle_id: int  # the cycle written in full (a run's first)
    at: datetime  # when the decision shown was made (a run's last cycle)
    decision: DecisionRecord
    denials: tuple[str, ...]
    repeats: int = 0  # cycles after the first that decided the same (their prices and the figures they move aside)
    since: datetime | None = None  # a run's first cycle


@dataclass(frozen=True, slots=True)
class JournalOrder:
    """An order as the journal knows it. ``status`` None: written, but no outcome recorded yet (a crash may
    have come between the write and the request): reconcile it by client order id like UNKNOWN."""

    client_order_id: str
    venue: str
    run_id: str | None
    intent_id: int | None
    origin: OrderOrigin
    symbol: str
    side: Side
    amount: Decimal
    price: Decimal | None
    reduce_only: bool
    post_only: bool
    created_at: datetime
    status: OrderStatus | None
    order_id: str | None
    filled: Decimal | None
    average_price: Decimal | None
    updated_at: datetime | None
    detail: str

    @property
    def resolved(self) -> bool:
        return self.status is not None and self.status.is_final

    def as_order(self) -> Order:
        """The domain order (status UNKNOWN when no outcome is recorded)."""
        return Order(
            symbol=self.symbol,
            side=self.side,
            amount=self.amount,
            price=self.price,
            status=self.status or OrderStatus.UNKNOWN,
            client_order_id=self.client_order_id,
            order_id=self.order_id,
            filled=self.filled or Decimal(0),
            average_price=self.average_price,
            reduce_only=self.reduce_only,
            post_only=self.post_only,
            timestamp=self.created_at,
        )


@dataclass(frozen=True, slots=True)
class JournalFill:
    venue: str
    fill: Fill
    notional: Decimal  # amount x contract size x price, in quote currency


@dataclass(frozen=True, slots=True)
class FundingTotal:
    """Funding on one instrument: ``net`` > 0 means we received more than we paid."""

    venue: str
    symbol: str
    currency: str
    payments: int
    received: Decimal
    paid: Decimal  # positive number
    net: Decimal


@dataclass(frozen=True, slots=True)
class ExplainedPosition:
    """The position the journal explains: the latest recorded baseline plus every fill after it (contracts)."""

    venue: str
    symbol: str
    baseline: Decimal
    baseline_as_of: datetime | None
    from_fills: Decimal
    contracts: Decimal


@dataclass(frozen=True, slots=True)
class ErrorRow:
    """Something that went wrong or was found wrong (``kind``: an exception's name, or e.g. "leverage_changed")."""

    at: datetime
    run_id: str | None
    kind: str
    message: str
    symbol: str | None
    client_order_id: str | None


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """The running bot's latest sign of life, and the state of the venue's dead-man's switch it last reported."""

    run_id: str
    at: datetime
    switch: str | None  # e.g. "armed: okx cancel-all-after, 60s"; None: the run never reported one
    stopped: bool  # the run has been recorded as ended since


class WatchState(StrEnum):
    """Where a watched wallet holding stands (``bot.execution.vanished``); the first two are watched."""

    HEDGED = "hedged"  # listed in its wallet's reply and hedged (again, after a row of state MISSING)
    MISSING = "missing"  # hedged, and missing from its wallet's replies since ``since``: its hedge held
    CONFIRMED = "confirmed"  # missing for holdings.vanished_confirm: taken as gone, its hedge follows the wallet
    RELEASED = "released"  # no longer hedged (excluded, disabled, or no instrument): no longer watched


@dataclass(frozen=True, slots=True)
class HoldingWatch:
    """One wallet holding of ``asset`` in ``source`` (``exchange:VENUE``) as the guard last recorded it."""

    asset: str
    source: str
    state: WatchState
    instrument: str | None  # the instrument it was hedged on
    since: datetime | None = None  # MISSING: the first reading without it


@dataclass(frozen=True, slots=True)
class AlertCondition:
    """An alert condition alerted and not cleared: its key, the alert's kind, and when it was alerted."""

    key: str
    kind: str
    since: datetime
