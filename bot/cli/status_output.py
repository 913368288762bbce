"""How `hedgebot status` prints: the tables and lines on the terminal, and the JSON document for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from rich.table import Table

from bot.cli.banner import NO_PROTECTION_NEEDED
from bot.cli.output import money, out, print_json, show
from bot.core.status import HoldingStatus, InstrumentStatus, LegPnl, Pnl, Risk, StatusReport, StatusTotal
from bot.domain import Order, Position, ReasonCode
from bot.execution.status import StatusView
from bot.journal import CycleRow
from bot.logging import redact
from bot.plain import plain

PNL_NOTE = "USDT; funding: + received, - paid; fees: paid; combined = spot + hedge + funding - fees"


def protection_line(view: StatusView, *, dry_run: bool) -> str:
    """The running bot's heartbeat and the venue's dead-man's switch, as the journal last heard of them; a dry
    run's orders rest on paper, where neither applies."""
    if dry_run:
        return f"dead-man's switch: {NO_PROTECTION_NEEDED}"
    beat = view.heartbeat
    if beat is None:
        return "dead-man's switch: no heartbeat journaled (no run of this hedgebot version yet)"
    age = (view.report.at - beat.at).total_seconds()
    alive = f"run {beat.run_id} ended; last heartbeat" if beat.stopped else f"heartbeat of run {beat.run_id}"
    switch = beat.switch or "not reported"
    return f"dead-man's switch: {alive} {age:.0f}s ago at {beat.at:%Y-%m-%d %H:%M:%S} UTC; exchange-side: {switch}"


def print_status(view: StatusView, mode: str, *, dry_run: bool) -> None:
    report = view.report
    state = view.trading_state.value.upper() if view.trading_state else "ACTIVE (no journal yet)"
    detail = f" ({view.state_detail})" if view.state_detail and view.trading_state else ""
    cycle = view.last_cycle
    last = f"; last cycle #{cycle.latest_number} at {cycle.latest_at:%Y-%m-%d %H:%M:%S} UTC" if cycle else ""
    if cycle and cycle.repeats:
        last += f" (deciding the same since #{cycle.number} at {cycle.at:%H:%M:%S})"
    out.print(
        f"{view.venue} ({mode}) at {report.at:%Y-%m-%d %H:%M:%S} UTC; trading state: {state}{detail}{last}",
        markup=False,
    )
    out.print(protection_line(view, dry_run=dry_run), markup=False)
    show(_holdings_table(report))
    show(_pnl_table(report))
    change = _change_line(report.total)
    if change:
        out.print(change, markup=False)
    show(_instruments_table(view))
    if view.other_positions:
        out.print(
            "Other positions on the account, not this bot's hedge (someone else's, or left over from an earlier "
            "configuration; never touched):",
            markup=False,
        )
        for position in view.other_positions.values():
            out.print(f"  {_position_line(position)}", markup=False)
    ours = [order for i in report.instruments for order in i.resting]
    out.print(f"{len(ours)} resting order(s) of ours; {len(view.foreign_orders)} foreign (never touched)", markup=False)
    for order in ours:
        out.print(f"  {_order_line(order, report.at)}", markup=False)
    for note in report.notes:
        out.print(f"note: {note}", markup=False)


def _holdings_table(report: StatusReport) -> Table:
    table = Table(title="Holdings and their hedges (ratio: achieved / target)")
    for name in ("holding", "quantity", "price", "value", "hedge", "hedge notional", "ratio", "basis bps"):
        table.add_column(name, justify="left" if name in ("holding", "hedge") else "right")
    table.add_column("liq. distance", justify="right")
    table.add_column("last reason")
    for h in report.holdings:
        table.add_row(
            h.asset, _num(h.quantity), money(h.price, 4), money(h.spot_value), h.instrument or "-",
            money(h.hedge_notional), _ratio(h.ratio, h.target_ratio), _bps(h.risk.basis_bps),
            _share(h.risk.liquidation_distance), _reason(h.reason),
        )  # fmt: skip
    total = report.total
    table.add_row(
        "total", "", "", money(total.spot_value), "", money(total.hedge_notional),
        _ratio(total.ratio, total.target_ratio), "", "", "", style="bold",
    )  # fmt: skip
    return table


def _reason(reason: str) -> str:
    """The last reason, said plainly where its code alone would mislead."""
    return UNWOUND if reason == ReasonCode.UNWIND else reason


UNWOUND = "unwind: unwound, not hedged (`hedgebot run` hedges again)"


def _pnl_table(report: StatusReport) -> Table:
    table = Table(title=f"Profit and loss since the hedge opened, and today ({PNL_NOTE})")
    for name in ("holding", "period", "spot", "hedge", "funding", "fees", "combined"):
        table.add_column(name, justify="left" if name in ("holding", "period") else "right")
    for h in report.holdings:
        opened = f"since {h.opened_at:%Y-%m-%d %H:%M} UTC" if h.opened_at else "not hedged yet"
        table.add_row(h.asset, opened, *_pnl_cells(h.since_open))
        table.add_row("", "today (UTC)", *_pnl_cells(h.today))
    table.add_row("total", "since opened", *_pnl_cells(report.total.since_open), style="bold")
    table.add_row("", "today (UTC)", *_pnl_cells(report.total.today), style="bold")
    return table


def _change_line(total: StatusTotal) -> str | None:
    if total.value_at_open is None or total.hedged_change is None or total.unhedged_change is None:
        return None
    return (
        f"since the hedge opened: with the hedge {total.hedged_change * 100:+.2f} %, without it "
        f"{total.unhedged_change * 100:+.2f} % (holdings worth {money(total.value_at_open)} USDT then)"
    )


def _instruments_table(view: StatusView) -> Table:
    table = Table(title="Hedge instruments (contracts; a short is negative)")
    names = ("instrument", "contracts", "entry", "mark", "liquidation", "distance", "margin ratio", "leverage")
    for name in (*names, "resting"):
        table.add_column(name, justify="left" if name == "instrument" else "right")
    for i in view.report.instruments:
        position = view.positions.get(i.symbol)
        table.add_row(
            i.symbol, _num(i.contracts), money(position.entry_price if position else None, 4), money(i.mark, 4),
            money(i.risk.liquidation_price, 4), _share(i.risk.liquidation_distance), _share(i.risk.margin_ratio),
            f"{position.leverage}x" if position and position.leverage is not None else "-", str(len(i.resting)),
        )  # fmt: skip
    return table


def _position_line(position: Position) -> str:
    leverage = f"{position.leverage}x" if position.leverage is not None else "leverage unknown"
    return (
        f"{position.symbol}: {_num(position.contracts)} contracts, entry {money(position.entry_price, 4)}, "
        f"mark {money(position.mark_price, 4)}, liquidation {money(position.liquidation_price, 4)}, {leverage}, "
        f"unrealised PnL {_signed(position.unrealized_pnl)}"
    )


def _order_line(order: Order, now: datetime) -> str:
    age = f"{(now - order.timestamp).total_seconds():.0f}s old" if order.timestamp else "age unknown"
    return (
        f"{order.client_order_id} {order.side} {_num(order.remaining)}/{_num(order.amount)} {order.symbol} "
        f"@ {order.price} ({age})"
    )


def _pnl_cells(pnl: Pnl) -> list[str]:
    return [_signed(pnl.spot), _signed(pnl.hedge), _signed(pnl.funding), money(pnl.fees), _signed(pnl.combined)]


# -- JSON --------------------------------------------------------------------------------------------------------


def print_status_json(views: Sequence[StatusView], modes: Sequence[str], *, one_line: bool = False) -> None:
    """The status as JSON on stdout (``one_line``: one compact line, as `--watch` prints one per refresh): one venue's
    document, or with hedges on several venues ``{"venues": [...]}``, one per venue."""
    documents = [_status_json(view, mode) for view, mode in zip(views, modes, strict=True)]
    data = documents[0] if len(documents) == 1 else {"venues": documents}
    if one_line:
        sys.stdout.write(json.dumps(redact(plain(data)), separators=(",", ":")) + "\n")
        sys.stdout.flush()
    else:
        print_json(data)


def _status_json(view: StatusView, mode: str) -> dict[str, Any]:
    """Per holding and in total: ``spot_pnl``, ``hedge_pnl``, ``funding``, ``fees`` and ``combined_pnl`` since the
    hedge opened (and the same under ``today``), ``basis_bps``, ``liquidation_distance``, and the rest."""
    report, beat = view.report, view.heartbeat
    return {
        "venue": view.venue,
        "mode": mode,
        "at": report.at,
        "trading_state": view.trading_state.value if view.trading_state else None,
        "trading_state_detail": view.state_detail,
        "dead_mans_switch": {
            "heartbeat_at": beat.at if beat else None,
            "heartbeat_age_seconds": round((report.at - beat.at).total_seconds(), 3) if beat else None,
            "run_id": beat.run_id if beat else None,
            "run_ended": beat.stopped if beat else None,
            "exchange_switch": beat.switch if beat else None,
        },
        "last_cycle": _last_cycle_json(view.last_cycle) if view.last_cycle else None,
        "holdings": [_holding_json(h) for h in report.holdings],
        "instruments": [_instrument_json(i, view) for i in report.instruments],
        "total": _total_json(report),
        "our_orders": [order for i in report.instruments for order in i.resting],
        "foreign_orders": len(view.foreign_orders),
        "other_positions": [_position_json(p) for p in view.other_positions.values()],
        "notes": list(report.notes),
    }


def _position_json(position: Position) -> dict[str, Any]:
    """A position outside the hedge (contracts < 0: a short)."""
    return {
        "symbol": position.symbol,
        "contracts": position.contracts,
        "entry_price": position.entry_price,
        "mark_price": position.mark_price,
        "liquidation_price": position.liquidation_price,
        "leverage": position.leverage,
        "unrealized_pnl": position.unrealized_pnl,
    }


def _leg_json(leg: LegPnl) -> dict[str, Decimal | None]:
    return {"hedge_pnl": leg.hedge, "funding": leg.funding, "fees": leg.fees}


def _pnl_json(pnl: Pnl) -> dict[str, Decimal | None]:
    return {"spot_pnl": pnl.spot, **_leg_json(pnl.leg), "combined_pnl": pnl.combined}


def _risk_json(risk: Risk) -> dict[str, Decimal | None]:
    return {
        "basis_bps": risk.basis_bps,
        "liquidation_price": risk.liquidation_price,
        "liquidation_distance": risk.liquidation_distance,
        "margin_ratio": risk.margin_ratio,
    }


def _holding_json(h: HoldingStatus) -> dict[str, Any]:
    return {
        "asset": h.asset,
        "quantity": h.quantity,
        "price": h.price,
        "spot_value": h.spot_value,
        "value_at_open": h.value_at_open,
        "instrument": h.instrument,
        "share_of_instrument": h.share,
        "hedge_notional": h.hedge_notional,
        "ratio": h.ratio,
        "target_ratio": h.target_ratio,
        "opened_at": h.opened_at,
        **_pnl_json(h.since_open),
        "today": _pnl_json(h.today),
        **_risk_json(h.risk),
        "reason": h.reason,
    }


def _instrument_json(i: InstrumentStatus, view: StatusView) -> dict[str, Any]:
    position = view.positions.get(i.symbol)
    return {
        "symbol": i.symbol,
        "contracts": i.contracts,
        "explained_contracts": i.explained,
        "entry_price": position.entry_price if position else None,
        "mark_price": i.mark,
        "leverage": position.leverage if position else None,
        "hedge_notional": i.hedge_notional,
        "ratio": i.ratio,
        "opened_at": i.opened_at,
        "holdings": list(i.holdings),
        **_leg_json(i.since_open),
        "today": _leg_json(i.today),
        **_risk_json(i.risk),
        "resting_orders": len(i.resting),
    }


def _total_json(report: StatusReport) -> dict[str, Any]:
    total = report.total
    return {
        "spot_value": total.spot_value,
        "value_at_open": total.value_at_open,
        "hedge_notional": total.hedge_notional,
        "ratio": total.ratio,
        "target_ratio": total.target_ratio,
        **_pnl_json(total.since_open),
        "today": _pnl_json(total.today),
        "basis_bps": _weighted_basis(report.instruments),
        "liquidation_distance": min(_known(i.risk.liquidation_distance for i in report.instruments), default=None),
        "unhedged_change": total.unhedged_change,
        "hedged_change": total.hedged_change,
    }


def _weighted_basis(instruments: Iterable[InstrumentStatus]) -> Decimal | None:
    """The instruments' basis weighted by their hedge notional (the total's)."""
    pairs = [(i.risk.basis_bps, i.hedge_notional) for i in instruments if i.risk.basis_bps is not None]
    weight = sum((w for _, w in pairs), Decimal(0))
    if not pairs or weight == 0:
        return None
    return sum((b * w for b, w in pairs if b is not None), Decimal(0)) / weight


def _known(values: Iterable[Decimal | None]) -> list[Decimal]:
    return [v for v in values if v is not None]


# -- cells -------------------------------------------------------------------------------------------------------


def _signed(value: Decimal | None) -> str:
    if value is None:
        return "unknown"
    text = money(value)
    return text if text.startswith("-") or text.strip("0.,") == "" else f"+{text}"


def _ratio(achieved: Decimal | None, target: Decimal | None) -> str:
    left = "-" if achieved is None else f"{achieved:.2f}"
    right = "-" if target is None else f"{target:.2f}"
    return f"{left} / {right}"


def _share(value: Decimal | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _bps(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:+.1f}"


def _num(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def _last_cycle_json(cycle: CycleRow) -> dict[str, object]:
    """The newest cycle, and since when (and which cycle) the cycles have decided the same."""
    return {
        "number": cycle.latest_number,
        "at": cycle.latest_at,
        "unchanged_since": {"number": cycle.number, "at": cycle.at} if cycle.repeats else None,
    }
