"""The conditions a running bot alerts on, worked out from one cycle's values (pure: no I/O, no clock, no logging).

- **limit blocked**: the risk gate denied an order; one condition per instrument and denial (the ``[risk]`` key, or
  ``reducing_only``, ``insufficient_margin``, ...), the first denial's message in the alert;
- **liquidation distance** below ``alerts.liquidation_distance_warning``, per short (the distance ``hedgebot status``
  shows: |liquidation price - mark| / mark);
- **margin low**: the margin ratio ``hedgebot status`` shows (isolated margin) at or above
  ``alerts.margin_ratio_warning``, per short;
- **funding cost**: what the positions pay a day at the current funding rates (each position's contracts x contract
  size x mark x rate x settlements a day, summed: funding a short receives offsets what another pays) above
  ``alerts.funding_cost_per_day_warning``; a position whose rate is unknown is left out;
- **orders rejected repeatedly** (``RejectionCounter``): at least ``alerts.rejects_in_a_row`` rejections by the venue
  in a row on one instrument within the last ``alerts.rejects_window``; an order the venue accepts on it ends the
  run, and rejections older than the window are forgotten (either clears the condition).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.alerts import events
from bot.alerts.events import AlertEvent, DailyFigures
from bot.alerts.settings import AlertLevels
from bot.core.plan import Plan
from bot.core.status import StatusReport, instrument_risk
from bot.domain import ZERO, MarginMode, Snapshot
from bot.risk.decision import RiskDecision

HOURS_PER_DAY = Decimal(24)


def limits_blocked(denied: Iterable[RiskDecision], *, at: datetime) -> tuple[AlertEvent, ...]:
    """One condition per instrument and denial code among ``denied`` (the gate's decisions that denied)."""
    found: dict[str, AlertEvent] = {}
    for decision in denied:
        for denial in decision.denials:
            event = events.limit_blocked(decision.intent.symbol, denial.code.value, denial.message, at=at)
            assert event.key is not None
            found.setdefault(event.key, event)
    return tuple(found.values())


def position_conditions(
    snapshot: Snapshot, plan: Plan, levels: AlertLevels, margin_mode: MarginMode, *, at: datetime
) -> tuple[AlertEvent, ...]:
    """Liquidation distance and margin ratio per short, and the account's funding cost a day, against the levels."""
    found: list[AlertEvent] = []
    cost = ZERO
    for symbol, position in sorted(snapshot.positions.items()):
        ticker = snapshot.tickers.get(symbol)
        market = snapshot.markets.get(symbol)
        if position.contracts == ZERO or ticker is None or market is None:
            continue
        if ticker.funding_rate is not None and ticker.funding_interval_hours > 0:
            settlements = HOURS_PER_DAY / ticker.funding_interval_hours
            cost += position.contracts * market.contract_size * ticker.mark * ticker.funding_rate * settlements
        if position.contracts > ZERO:
            continue  # a hedge is a short: a long is not ours to watch
        risk = instrument_risk(symbol, ticker.mark, plan, snapshot, margin_mode)
        distance, liquidation = risk.liquidation_distance, risk.liquidation_price
        if distance is not None and liquidation is not None and distance < levels.liquidation_distance_warning:
            found.append(
                events.liquidation_distance_low(
                    symbol, distance, levels.liquidation_distance_warning, liquidation, ticker.mark, at=at
                )
            )
        if risk.margin_ratio is not None and risk.margin_ratio >= levels.margin_ratio_warning:
            found.append(events.margin_low(symbol, risk.margin_ratio, levels.margin_ratio_warning, at=at))
    if cost > levels.funding_cost_per_day_warning:
        found.append(events.funding_cost_high(cost, levels.funding_cost_per_day_warning, at=at))
    return tuple(found)


def summary_figures(report: StatusReport, until: datetime) -> DailyFigures:
    """The daily summary's figures: the status report's total, its "today" counted from 24 hours before ``until``."""
    total = report.total
    today = total.today
    return DailyFigures(
        until=until,
        holdings_value=total.spot_value,
        hedge_notional=total.hedge_notional,
        hedge_ratio=total.ratio,
        spot_pnl=today.spot,
        hedge_pnl=today.hedge,
        funding=today.funding,
        fees=today.fees,
    )


@dataclass(frozen=True, slots=True)
class Rejections:
    """One instrument's run of rejections in a row: when each came (oldest first) and the last one's reason."""

    times: tuple[datetime, ...]
    last_error: str


class RejectionCounter:
    """The venue's rejections in a row per instrument: a condition while ``rejects_in_a_row`` of them came within
    the last ``rejects_window``, none accepted since (see the module's rules)."""

    def __init__(self, levels: AlertLevels) -> None:
        self._in_a_row = levels.rejects_in_a_row
        self._window = levels.rejects_window
        self._runs: dict[str, Rejections] = {}

    def accepted(self, symbol: str) -> None:
        """The venue took an order on ``symbol``: its run of rejections ends."""
        self._runs.pop(symbol, None)

    def rejected(self, symbol: str, error: str, *, at: datetime) -> None:
        before = self._runs.get(symbol)
        self._runs[symbol] = Rejections((*(before.times if before else ()), at), error)

    def conditions(self, *, at: datetime) -> tuple[AlertEvent, ...]:
        """An alert per instrument whose rejections in a row within the window reach the level; older ones are
        forgotten."""
        found = []
        for symbol, run in sorted(self._runs.items()):
            recent = tuple(t for t in run.times if at - t <= self._window)
            if not recent:
                del self._runs[symbol]
                continue
            self._runs[symbol] = Rejections(recent, run.last_error)
            if len(recent) >= self._in_a_row:
                found.append(events.orders_rejected_repeatedly(symbol, len(recent), run.last_error, at=at))
        return tuple(found)
