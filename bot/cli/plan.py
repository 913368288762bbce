"""`hedgebot plan`: one cycle's decision (targets, gaps, proposed orders and reasons) as a table or JSON."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from rich.table import Table

from bot.cli.output import money, out, print_json, show
from bot.cli.venue import open_desks, pick_venue, read_once
from bot.clock import SystemClock
from bot.config import AppConfig, require_secrets
from bot.core.cycle import CoreState, plan_cycle
from bot.core.plan import HoldingDecision, InstrumentDecision, Plan
from bot.core.valuation import with_static_holdings
from bot.domain import ZERO, Snapshot
from bot.exchange.preflight import check_markets
from bot.execution.reading import preflight_plan
from bot.settings import CoreSettings, Settings
from bot.settings.from_config import core_settings, desks_for
from bot.snapshot_file import read_snapshot_file
from policies.base import HedgeKind

EXAMPLE_SNAPSHOT = "tests/fixtures/snapshots/example-2022-06-20.json"
HELP = "show one cycle's decision: targets, gaps, proposed orders and reasons (nothing is sent)"
DESCRIPTION = f"""\
Value the holdings, apply the policy and plan the orders one cycle would propose, with the reason for every
holding and hedge instrument ("why didn't it hedge?"). Nothing is sent anywhere: this is the decision only.

It reads the configured venue (wallet, quotes, tickers, books, positions, open orders; nothing is changed) and
exits 4 if the venue does not list an instrument the configuration names (as `hedgebot run` refuses to start),
or it reads a snapshot file (--snapshot FILE) with the same data as JSON (the format is described in
bot/snapshot_file.py). Static holdings come from the configuration ([[holdings.static]]) and replace any the
file recorded. With hedges on several venues (hedges.ASSET.venue), each venue a hedge trades on is read and
planned in turn, with the holdings it hedges (--json: {{"venues": [...]}}, one plan per venue).

examples (with `hedgebot sim` running, the first reads the simulator; the example snapshot ships with the repository: BTC, ETH and SOL with perpetuals, AVAX hedged with
the ETH perpetual at a beta estimated from its price history, LINK with no perpetual, from the bundled June 2022
market data):
  hedgebot plan --config config.example.toml
  hedgebot plan --config config.example.toml --snapshot {EXAMPLE_SNAPSHOT}
  hedgebot plan --config config.example.toml --snapshot {EXAMPLE_SNAPSHOT} --json
  hedgebot plan --config my.toml --snapshot FILE --at 2026-12-01T06:00:00Z   (decide as of another moment,
      e.g. inside an event window's ramp; data older than risk.max_data_age by then counts as stale)
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "plan", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--snapshot", type=Path, metavar="FILE", help="snapshot JSON file to plan from (default: read the venue)"
    )
    parser.add_argument(
        "--venue", metavar="NAME", help="the default [venues.NAME], as given to `hedgebot run` (default: the only one)"
    )
    parser.add_argument(
        "--at", type=_moment, metavar="TIME", help="decide as of this ISO 8601 time (default: the snapshot's)"
    )
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.set_defaults(handler=run, needs_config=True, needs_secrets=False)  # a venue's: read below


def run(args: argparse.Namespace) -> int:
    config: AppConfig = args.config
    plans: list[tuple[Plan, str]] = []
    if args.snapshot is None:  # every venue a hedge trades on, each planning the holdings it hedges
        require_secrets(config)  # a snapshot file needs no keys; the venues do
        for settings, snapshot in asyncio.run(_read_venues(desks_for(config, pick_venue(config, args.venue)), config)):
            plan, _ = plan_cycle(settings.core, snapshot, CoreState(), args.at or snapshot.taken_at)
            plans.append((plan, f"venue {settings.venue.name}"))
    else:
        core = core_settings(config)
        snapshot = _with_config_holdings(read_snapshot_file(args.snapshot), core)
        plans.append((plan_cycle(core, snapshot, CoreState(), args.at or snapshot.taken_at)[0], str(args.snapshot)))
    if args.json:
        documents = [{"snapshot": source, **plan.to_dict()} for plan, source in plans]
        print_json(documents[0] if len(documents) == 1 else {"venues": documents})
    else:
        for plan, source in plans:
            print_plan(plan, source)
    return 0


async def _read_venues(desks: Sequence[Settings], config: AppConfig) -> list[tuple[Settings, Snapshot]]:
    """One snapshot of each venue (with the other venues' wallets that count); ``PreflightError`` if one does not
    list an instrument the configuration names for it."""
    clock = SystemClock()
    read = []
    async with open_desks(config, desks, clock) as opened:
        for desk in opened:
            snapshot, markets = await read_once(desk.settings, desk.port, clock, others=desk.wallets)
            check_markets(desk.settings.venue.name, markets, preflight_plan(desk.settings))
            read.append((desk.settings, snapshot))
    return read


def _with_config_holdings(snapshot: Snapshot, core: CoreSettings) -> Snapshot:
    return replace(snapshot, holdings=with_static_holdings(snapshot.holdings, core.holdings.static))


def print_plan(plan: Plan, source: str) -> None:
    out.print(f"Plan at {plan.at:%Y-%m-%d %H:%M:%S} UTC from {source}; policy {plan.policy}", markup=False)
    show(_hedge_table(plan))
    actions = _actions_table(plan)
    if actions.row_count:
        show(actions)
    else:
        out.print("No orders proposed.", markup=False)
    for line in _notes(plan):
        out.print(line, markup=False)


def _hedge_table(plan: Plan) -> Table:
    table = Table(title="Holdings and hedges (quantities in contracts; a short is negative)")
    for name in ("holding", "value USDT", "price", "hedge", "ratio", "target", "current", "in flight", "gap"):
        table.add_column(name, justify="left" if name in ("holding", "hedge") else "right")
    table.add_column("reason")
    groups: dict[str | None, list[HoldingDecision]] = {}
    for decision in plan.holdings:
        groups.setdefault(decision.hedge.instrument, []).append(decision)
    for instrument in plan.instruments:
        members = groups.pop(instrument.symbol, [])
        for member in members:
            single = instrument if len(members) == 1 else None
            table.add_row(*_holding_cells(member, single))
        if len(members) != 1:
            table.add_row(*_instrument_cells(instrument), style="bold")
    for members in groups.values():
        for member in members:
            table.add_row(*_holding_cells(member, None))
    return table


def _holding_cells(decision: HoldingDecision, instrument: InstrumentDecision | None) -> list[str]:
    holding, hedge = decision.holding, decision.hedge
    price = "-" if holding.price is None else f"{money(holding.price, 4)} {holding.price_kind}"
    if holding.price_age_seconds is not None:
        price += f" {max(holding.price_age_seconds, 0):.0f}s"
    route = hedge.instrument or "-"
    if hedge.kind is HedgeKind.PROXY:
        route += f" proxy β {hedge.beta:.3f}"
    elif hedge.kind is HedgeKind.DIRECT:
        route += " direct"
    cells = [
        f"{holding.asset} {_qty(holding.quantity)}",
        money(holding.value),
        price,
        route,
        "-" if hedge.instrument is None else f"{hedge.ratio:.2f}",
        _qty(hedge.contracts) if hedge.reason is None else "-",
    ]
    if instrument is None:
        return [*cells, "", "", "", decision.reason.value]
    return [*cells, *_instrument_cells(instrument)[6:]]


def _instrument_cells(decision: InstrumentDecision) -> list[str]:
    target = "-" if decision.target_contracts is None else _qty(decision.target_contracts)
    gap = "-" if decision.gap is None else _qty(decision.gap)
    return [
        f"→ {decision.symbol}",
        "",
        "" if decision.price is None else f"{money(decision.price, 4)} mark",
        "total",
        "",
        target,
        _qty(decision.current),
        _qty(decision.in_flight),
        gap,
        decision.reason.value,
    ]


def _actions_table(plan: Plan) -> Table:
    table = Table(title="Proposed actions (post-only limit orders; nothing is sent by `plan`)")
    for name in ("instrument", "action", "qty", "price", "notional", "reduce-only", "reason", "why"):
        table.add_column(name, justify="right" if name in ("qty", "price", "notional") else "left")
    for decision in plan.instruments:
        for cancel in decision.cancels:
            name = cancel.client_order_id or cancel.order_id or "?"
            table.add_row(decision.symbol, f"cancel {name}", "", "", "", "", cancel.reason.value, cancel.note)
        for intent in decision.intents:
            table.add_row(
                decision.symbol,
                intent.side.value + (f" (replaces {intent.replaces})" if intent.replaces else ""),
                _qty(intent.amount),
                money(intent.price, 4),
                money(intent.notional),
                "yes" if intent.reduce_only else "no",
                intent.reason.value,
                intent.note,
            )
    return table


def _notes(plan: Plan) -> list[str]:
    lines: list[str] = []
    for decision in plan.holdings:
        hedge = decision.hedge
        if hedge.fit is not None:
            share = hedge.residual_variance_share or ZERO
            lines.append(
                f"{hedge.asset}: beta {hedge.fit.beta:.3f} (raw {hedge.fit.raw_beta:.3f}, shrunk toward 1) over "
                f"{hedge.fit.samples} returns; R² {hedge.fit.r_squared:.2f}: {share:.0%} of its variance stays unhedged"
            )
        if decision.hedge.reason is not None and decision.note:
            lines.append(f"{hedge.asset}: {decision.reason.value}: {decision.note}")
    for instrument in plan.instruments:
        for effect in instrument.effects:
            lines.append(f"{instrument.symbol}: {effect.modifier}: {effect.note}")
        for note in instrument.notes:
            lines.append(f"{instrument.symbol}: {note}")
        residual = instrument.unhedged_notional
        if residual:
            state = "unhedged" if residual > 0 else "over-hedged"
            lines.append(f"{instrument.symbol}: rounding onto the lot leaves {money(abs(residual))} USDT {state}")
    return [*lines, *plan.notes]


def _qty(value: Decimal, places: int = 6) -> str:
    """A quantity without trailing zeros, at most ``places`` decimals (shares of a target can be long fractions)."""
    text = f"{round(value, places).normalize():f}"
    return "0" if text in ("-0", "0") else text


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time, e.g. 2026-12-01T06:00:00Z") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a time zone, e.g. 2026-12-01T06:00:00Z")
    return moment
