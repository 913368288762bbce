"""Alert events as values: the kinds, the severity order, and one constructor per kind with typed figures.

Each event names the condition it reports with a ``key``: the notifier sends one alert per key until that
condition clears (``Notifier.clear(key)``, or an event whose ``clears`` names it, as ``resumed`` clears
``halted``). A ``key`` of ``None`` is a one-off message that is never held back (``test``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

HALTED_KEY = "halted"
RESUMED_KEY = "resumed"


class Severity(StrEnum):
    """How urgent an alert is, ordered ``info < warning < critical`` (not alphabetically)."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        return self.rank < _rank_of(other)

    def __le__(self, other: object) -> bool:
        return self.rank <= _rank_of(other)

    def __gt__(self, other: object) -> bool:
        return self.rank > _rank_of(other)

    def __ge__(self, other: object) -> bool:
        return self.rank >= _rank_of(other)


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


def _rank_of(other: object) -> int:
    if not isinstance(other, Severity):
        raise TypeError(f"cannot order a severity against {other!r}")
    return other.rank


class AlertKind(StrEnum):
    HALTED = "halted"
    RESUMED = "resumed"
    LIMIT_BLOCKED = "limit_blocked"
    ORDERS_REJECTED_REPEATEDLY = "orders_rejected_repeatedly"
    RECONCILIATION_MISMATCH = "reconciliation_mismatch"
    LIQUIDATION_DISTANCE_LOW = "liquidation_distance_low"
    MARGIN_LOW = "margin_low"
    FUNDING_COST_HIGH = "funding_cost_high"
    DEADMAN_ARM_FAILED = "deadman_arm_failed"
    VENUE_UNREACHABLE = "venue_unreachable"
    VENUE_REACHABLE = "venue_reachable"
    WATCHDOG_FIRED = "watchdog_fired"
    HOLDING_VANISHED = "holding_vanished"
    DAILY_SUMMARY = "daily_summary"
    TEST = "test"


class Unit(StrEnum):
    """How a figure reads: USDT amounts, fractions shown as percentages, or plain values."""

    PLAIN = "plain"
    USDT = "USDT"
    FRACTION = "fraction"


@dataclass(frozen=True, slots=True)
class AlertField:
    name: str
    value: Decimal | int | str | datetime | None  # None: unknown (shown as such, never as zero)
    unit: Unit = Unit.PLAIN


@dataclass(frozen=True, slots=True)
class AlertEvent:
    kind: AlertKind
    severity: Severity
    key: str | None  # the condition reported; None: a one-off message, never held back
    title: str
    text: str
    at: datetime
    fields: tuple[AlertField, ...] = ()
    clears: tuple[str, ...] = ()  # conditions this event ends (they may alert again)


@dataclass(frozen=True, slots=True)
class DailyFigures:
    """The summary's figures: holdings and the hedge at ``until``, both legs' PnL, funding and fees over the 24 hours
    to ``until``. Funding is signed (+ received, - paid); fees are what was paid. None: unknown (the journal lacks a
    price the figure needs)."""

    until: datetime
    holdings_value: Decimal | None
    hedge_notional: Decimal
    hedge_ratio: Decimal | None
    spot_pnl: Decimal | None
    hedge_pnl: Decimal | None
    funding: Decimal
    fees: Decimal

    @property
    def since(self) -> datetime:
        return self.until - SUMMARY_PERIOD


SUMMARY_PERIOD = timedelta(hours=24)


def halted(reason: str, *, at: datetime) -> AlertEvent:
    return AlertEvent(
        AlertKind.HALTED,
        Severity.CRITICAL,
        HALTED_KEY,
        "Trading halted",
        f"The bot halted: {reason}. Its resting orders are cancelled and positions kept; it stays halted, "
        "across restarts too, until `hedgebot run --resume`.",
        at,
        (AlertField("reason", reason),),
        clears=(RESUMED_KEY,),
    )


def resumed(*, at: datetime) -> AlertEvent:
    return AlertEvent(
        AlertKind.RESUMED,
        Severity.INFO,
        RESUMED_KEY,
        "Trading resumed",
        "The bot left the halted state and trades again.",
        at,
        clears=(HALTED_KEY,),
    )


def limit_blocked(symbol: str, limit: str, message: str, *, at: datetime) -> AlertEvent:
    return AlertEvent(
        AlertKind.LIMIT_BLOCKED,
        Severity.WARNING,
        f"limit_blocked:{symbol}:{limit}",
        f"A risk limit blocked an order on {symbol}",
        f"{limit}: {message}. Nothing was sent for this order.",
        at,
        (AlertField("symbol", symbol), AlertField("limit", limit)),
    )


def orders_rejected_key(symbol: str) -> str:
    return f"orders_rejected:{symbol}"


def orders_rejected_repeatedly(symbol: str, count: int, last_error: str, *, at: datetime) -> AlertEvent:
    return AlertEvent(
        AlertKind.ORDERS_REJECTED_REPEATEDLY,
        Severity.WARNING,
        orders_rejected_key(symbol),
        f"The venue rejected {count} orders in a row on {symbol}",
        f"The last rejection: {last_error}",
        at,
        (AlertField("symbol", symbol), AlertField("rejections in a row", count)),
    )


def reconciliation_key(symbol: str | None = None) -> str:
    return f"reconciliation:{symbol or 'account'}"


def reconciliation_mismatch(detail: str, *, symbol: str | None = None, at: datetime) -> AlertEvent:
    scope = symbol or "account"
    return AlertEvent(
        AlertKind.RECONCILIATION_MISMATCH,
        Severity.CRITICAL,
        reconciliation_key(symbol),
        f"The venue holds what the journal cannot explain ({scope})",
        f"{detail}. The bot does not trade until this is resolved (`hedgebot run --adopt` adopts it).",
        at,
        (AlertField("scope", scope),),
    )


def liquidation_distance_low(
    symbol: str, distance: Decimal, warning_level: Decimal, liquidation_price: Decimal, mark: Decimal, *, at: datetime
) -> AlertEvent:
    return AlertEvent(
        AlertKind.LIQUIDATION_DISTANCE_LOW,
        Severity.CRITICAL,
        f"liquidation_distance:{symbol}",
        f"The {symbol} hedge is close to liquidation",
        "The mark price is nearer the short's liquidation price than alerts.liquidation_distance_warning.",
        at,
        (
            AlertField("symbol", symbol),
            AlertField("distance", distance, Unit.FRACTION),
            AlertField("warning level", warning_level, Unit.FRACTION),
            AlertField("liquidation price", liquidation_price),
            AlertField("mark price", mark),
        ),
    )


def margin_low(symbol: str, margin_ratio: Decimal, warning_level: Decimal, *, at: datetime) -> AlertEvent:
    return AlertEvent(
        AlertKind.MARGIN_LOW,
        Severity.WARNING,
        f"margin_low:{symbol}",
        f"Margin is running low on the {symbol} hedge",
        "Maintenance margin takes up more of the margin balance than alerts.margin_ratio_warning "
        "(liquidation comes at 100%).",
        at,
        (
            AlertField("symbol", symbol),
            AlertField("margin ratio", margin_ratio, Unit.FRACTION),
            AlertField("warning level", warning_level, Unit.FRACTION),
        ),
    )


def funding_cost_high(cost_per_day: Decimal, warning_level: Decimal, *, at: datetime) -> AlertEvent:
    return AlertEvent(
        AlertKind.FUNDING_COST_HIGH,
        Severity.WARNING,
        "funding_cost_high",
        "Funding is costing more than the warning level",
        "At the current funding rates the hedge pays more per day than alerts.funding_cost_per_day_warning.",
        at,
        (
            AlertField("funding cost per day", cost_per_day, Unit.USDT),
            AlertField("warning level", warning_level, Unit.USDT),
        ),
    )


def deadman_key(venue: str) -> str:
    """The condition "the venue's dead-man's switch cannot be armed" (cleared when it arms again)."""
    return f"deadman:{venue}"


def deadman_arm_failed(venue: str, error: str, *, at: datetime) -> AlertEvent:
    return AlertEvent(
        AlertKind.DEADMAN_ARM_FAILED,
        Severity.CRITICAL,
        deadman_key(venue),
        f"The dead-man's switch could not be armed on {venue}",
        f"If the bot dies now its resting orders stay on the book. The error: {error}",
        at,
        (AlertField("venue", venue),),
    )


def venue_unreachable_key(venue: str) -> str:
    """The condition "``venue`` has not answered for longer than risk.max_outage" (cleared when it answers)."""
    return f"{AlertKind.VENUE_UNREACHABLE.value}:{venue}"


def venue_unreachable(venue: str, since: datetime, error: str, *, at: datetime) -> AlertEvent:
    return AlertEvent(
        AlertKind.VENUE_UNREACHABLE,
        Severity.WARNING,
        venue_unreachable_key(venue),
        f"{venue} cannot be read: trading paused",
        "The venue has not answered the bot's reads for longer than risk.max_outage. Nothing new is sent until it "
        "does; the bot cancels its resting orders as soon as the venue takes the cancels, and resumes by itself.",
        at,
        (AlertField("venue", venue), AlertField("unreadable since", since), AlertField("last error", error)),
        clears=(f"{AlertKind.VENUE_REACHABLE.value}:{venue}",),
    )


def venue_reachable(venue: str, since: datetime | None, *, at: datetime) -> AlertEvent:
    """``since``: when the venue stopped answering; None: unknown (it answered again while the bot was down)."""
    return AlertEvent(
        AlertKind.VENUE_REACHABLE,
        Severity.INFO,
        f"{AlertKind.VENUE_REACHABLE.value}:{venue}",
        f"{venue} answers again: trading resumed",
        "The bot reads the venue again and trades as before.",
        at,
        (AlertField("venue", venue), AlertField("unreadable since", since)),
        clears=(venue_unreachable_key(venue),),
    )


def watchdog_key(venue: str) -> str:
    """The condition `hedgebot watchdog` alerts on: the bot's heartbeat on ``venue`` stopped (cleared when it beats)."""
    return f"watchdog:{venue}"


def watchdog_fired(venue: str, silent_seconds: int, cancelled: int, *, at: datetime) -> AlertEvent:
    return AlertEvent(
        AlertKind.WATCHDOG_FIRED,
        Severity.CRITICAL,
        watchdog_key(venue),
        f"The bot on {venue} stopped: its resting orders are cancelled",
        "hedgebot watchdog heard no heartbeat for longer than watchdog.window and cancelled the bot's resting orders "
        "(foreign orders and positions untouched). The hedge is no longer managed: restart the bot.",
        at,
        (
            AlertField("venue", venue),
            AlertField("seconds without a heartbeat", silent_seconds),
            AlertField("orders cancelled", cancelled),
        ),
    )


def holding_vanished_key(asset: str, source: str) -> str:
    """The condition "a hedged ``asset`` is missing from the wallet ``source``'s replies" (cleared when it is listed
    again or confirmed gone)."""
    return f"{AlertKind.HOLDING_VANISHED.value}:{asset}:{source}"


def holding_vanished(
    asset: str, source: str, instrument: str, since: datetime, confirm_at: datetime, *, at: datetime
) -> AlertEvent:
    return AlertEvent(
        AlertKind.HOLDING_VANISHED,
        Severity.WARNING,
        holding_vanished_key(asset, source),
        f"{asset} is missing from the {source} wallet: its hedge is held",
        f"The wallet's reply no longer lists {asset}, hedged on {instrument} until now. A reply can lose a row, so "
        f"the hedge is kept as it is; if {asset} is still missing at {confirm_at:%Y-%m-%d %H:%M} UTC "
        "(holdings.vanished_confirm), it counts as sold or moved and the hedge follows the wallet.",
        at,
        (
            AlertField("asset", asset),
            AlertField("wallet", source),
            AlertField("instrument", instrument),
            AlertField("missing since", since),
            AlertField("hedge follows the wallet from", confirm_at),
        ),
    )


def daily_summary(figures: DailyFigures, *, at: datetime) -> AlertEvent:
    until = f"{figures.until:%Y-%m-%d %H:%M} UTC"
    return AlertEvent(
        AlertKind.DAILY_SUMMARY,
        Severity.INFO,
        f"daily_summary:{figures.until:%Y-%m-%dT%H:%M}",
        f"Daily summary: the 24 hours to {until}",
        f"Holdings and the hedge at {until}; both legs' profit and loss, funding and fees over the 24 hours before "
        "(as `hedgebot status` counts them; unknown where the journal lacks a price).",
        at,
        (
            AlertField("holdings value", figures.holdings_value, Unit.USDT),
            AlertField("hedge notional", figures.hedge_notional, Unit.USDT),
            AlertField("hedge ratio", figures.hedge_ratio, Unit.FRACTION),
            AlertField("spot leg PnL", figures.spot_pnl, Unit.USDT),
            AlertField("hedge leg PnL", figures.hedge_pnl, Unit.USDT),
            AlertField("funding (+ received, - paid)", figures.funding, Unit.USDT),
            AlertField("fees paid", figures.fees, Unit.USDT),
        ),
    )


def alert_test_event(*, at: datetime) -> AlertEvent:
    return AlertEvent(
        AlertKind.TEST,
        Severity.INFO,
        None,
        "hedgebot test alert",
        "If you can read this, hedgebot's alerts reach this destination.",
        at,
    )
