"""Where the hedge stands: the status figures from one snapshot and plan plus the journal's history (journal reads).

``status_view`` is what `hedgebot status` shows; the figures themselves come from the pure ``bot.core.status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bot.core.plan import Plan
from bot.core.status import LegHistory, StatusReport, openings, status_report
from bot.domain import MarginMode, Market, Order, Position, Snapshot, TradingState, is_ours
from bot.execution.reading import QUOTE
from bot.journal.reader import JournalReader
from bot.journal.records import CycleRow, Heartbeat
from bot.risk.context import utc_day_start


@dataclass(frozen=True, slots=True)
class StatusView:
    """Everything `hedgebot status` shows for one venue."""

    venue: str
    report: StatusReport
    trading_state: TradingState | None  # None: no journal yet
    state_detail: str
    heartbeat: Heartbeat | None  # the running bot's latest sign of life
    last_cycle: CycleRow | None
    positions: Mapping[str, Position]  # the venue's open hedge positions
    foreign_orders: tuple[Order, ...]
    # open positions on perpetuals this bot does not hedge: someone else's, or left over from an earlier
    # configuration (shown so that every position on the account is seen; never touched)
    other_positions: Mapping[str, Position] = field(default_factory=dict)


def status_view(
    venue: str,
    snapshot: Snapshot,
    plan: Plan,
    reader: JournalReader | None,
    margin_mode: MarginMode,
    *,
    day_start: datetime | None = None,
    account: Mapping[str, Position] | None = None,
) -> StatusView:
    """The status at ``plan.at``: this snapshot and plan, and what the journal (if there is one yet) holds;
    ``margin_mode``: the configured one (``execution.margin_mode``). The "today" figures count from ``day_start``
    (default: 00:00 UTC of ``plan.at``; the daily summary's: 24 hours before). ``account``: positions read on
    every perpetual of the venue, the ones on instruments outside the hedge shown apart (``other_positions``)."""
    day_start = day_start or utc_day_start(plan.at)
    legs: dict[str, LegHistory] = {}
    if reader is None:
        report = status_report(plan, snapshot, legs, {}, day_start=day_start, margin_mode=margin_mode)
        others = _others(report, snapshot, account)
        return StatusView(venue, report, None, "", None, None, _open(snapshot), _foreign(snapshot), others)
    for symbol in sorted({d.symbol for d in plan.instruments} | set(reader.hedged_symbols(venue))):
        size = _contract_size(snapshot.markets, symbol)
        legs[symbol] = reader.leg_history(venue, symbol, size, day_start=day_start, quote=QUOTE)
    spot = {asset: reader.spot_history(asset, opened, day_start) for asset, opened in openings(plan, legs).items()}
    report = status_report(
        plan, snapshot, legs, spot, day_start=day_start, margin_mode=margin_mode, reasons=reader.last_reasons()
    )
    risk = reader.latest_risk_state(venue)
    cycles = reader.last_cycles(1)
    return StatusView(
        venue=venue,
        report=report,
        trading_state=risk.trading if risk is not None else TradingState.ACTIVE,
        state_detail=risk.detail if risk is not None else "",
        heartbeat=reader.latest_heartbeat(),
        last_cycle=cycles[0] if cycles else None,
        positions=_open(snapshot),
        foreign_orders=_foreign(snapshot),
        other_positions=_others(report, snapshot, account),
    )


def _open(snapshot: Snapshot) -> dict[str, Position]:
    return {symbol: p for symbol, p in sorted(snapshot.positions.items()) if not p.is_flat}


def _others(report: StatusReport, snapshot: Snapshot, account: Mapping[str, Position] | None) -> dict[str, Position]:
    """Open positions on instruments the report does not cover (not the bot's hedge)."""
    hedged = {i.symbol for i in report.instruments}
    read = {**(account or {}), **snapshot.positions}
    return {s: p for s, p in sorted(read.items()) if s not in hedged and not p.is_flat}


def _foreign(snapshot: Snapshot) -> tuple[Order, ...]:
    return tuple(o for o in snapshot.open_orders if not is_ours(o.client_order_id))


def _contract_size(markets: Mapping[str, Market], symbol: str) -> Decimal:
    market = markets.get(symbol)
    return market.contract_size if market is not None else Decimal(1)
