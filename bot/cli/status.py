"""`hedgebot status`: where the hedge stands: positions, orders, targets, trading state and funding (read-only)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from rich.table import Table

from bot.cli.output import money, out, print_json, show
from bot.cli.plan import print_plan
from bot.cli.venue import connect, pick_venue, read_once
from bot.clock import SystemClock
from bot.config import AppConfig
from bot.core.cycle import CoreState, plan_cycle
from bot.domain import Position, Snapshot, is_ours
from bot.journal import open_reader
from bot.journal.reader import JournalReader
from bot.settings import Settings
from bot.settings.from_config import journal_path, settings_for

HELP = "show positions, resting orders, targets, the trading state and funding (changes nothing)"
DESCRIPTION = """\
Read the venue and the journal and show where the hedge stands: each hedge position (size, entry, mark,
liquidation price, leverage, unrealised PnL), the bot's resting orders, what the policy targets now and why,
the trading state (ACTIVE, REDUCING or HALTED) and funding paid or received. Nothing is changed or sent.

examples:
  hedgebot status --config my.toml
  hedgebot status --config my.toml --json
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "status", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--venue", metavar="NAME", help="the [venues.NAME] to read (default: the only one)")
    parser.add_argument("--json", action="store_true", help="print the status as JSON")
    parser.set_defaults(handler=run, needs_config=True)


def run(args: argparse.Namespace) -> int:
    config: AppConfig = args.config
    venue = pick_venue(config, args.venue)
    return asyncio.run(_status(config, settings_for(config, venue), args.json))


async def _status(config: AppConfig, settings: Settings, as_json: bool) -> int:
    clock = SystemClock()
    venue = settings.venue.name
    path = journal_path(config)
    reader = open_reader(path) if path.exists() else None
    try:
        saved = reader.latest_policy_state() if reader else None
        state = CoreState.from_dict(saved) if saved else CoreState()
        async with connect(settings, config.credentials(venue), clock) as port:
            snapshot, _ = await read_once(settings, port, clock, state.planner.managed)
        plan, _ = plan_cycle(settings.core, snapshot, state, clock.now())
        journal = _journal_view(reader)
    finally:
        if reader is not None:
            reader.close()
    if as_json:
        print_json(
            {
                "venue": venue,
                "mode": settings.venue.mode.value,
                "positions": [_position(p) for p in _open_positions(snapshot)],
                "our_orders": [o for o in snapshot.open_orders if is_ours(o.client_order_id)],
                "foreign_orders": sum(1 for o in snapshot.open_orders if not is_ours(o.client_order_id)),
                "plan": plan.to_dict(),
                **journal,
            }
        )
        return 0
    out.print(f"{venue} ({settings.venue.mode.value}); trading state: {journal['trading_state']}", markup=False)
    show(_positions_table(snapshot))
    ours = [o for o in snapshot.open_orders if is_ours(o.client_order_id)]
    out.print(f"{len(ours)} resting order(s) of ours; {len(snapshot.open_orders) - len(ours)} foreign", markup=False)
    for order in ours:
        out.print(
            f"  {order.client_order_id} {order.side} {order.remaining}/{order.amount} {order.symbol} @ {order.price}",
            markup=False,
        )
    print_plan(plan, "the venue, now")
    for total in journal["funding"]:
        out.print(f"funding on {total['symbol']}: net {money(total['net'])} {total['currency']}", markup=False)
    if journal["last_cycle"]:
        out.print(f"last cycle: {journal['last_cycle']}", markup=False)
    return 0


def _open_positions(snapshot: Snapshot) -> list[Position]:
    return [p for _, p in sorted(snapshot.positions.items()) if p.contracts != 0]


def _position(p: Position) -> dict[str, Any]:
    return {
        "symbol": p.symbol,
        "contracts": p.contracts,
        "entry_price": p.entry_price,
        "mark_price": p.mark_price,
        "liquidation_price": p.liquidation_price,
        "leverage": p.leverage,
        "margin_mode": p.margin_mode,
        "unrealized_pnl": p.unrealized_pnl,
    }


def _positions_table(snapshot: Snapshot) -> Table:
    table = Table(title="Hedge positions (contracts; a short is negative)")
    for name in ("instrument", "contracts", "entry", "mark", "liquidation", "leverage", "margin", "unrealised PnL"):
        table.add_column(name, justify="left" if name == "instrument" else "right")
    for p in _open_positions(snapshot):
        table.add_row(
            p.symbol,
            str(p.contracts),
            money(p.entry_price, 4),
            money(p.mark_price, 4),
            money(p.liquidation_price, 4),
            f"{p.leverage}x" if p.leverage is not None else "-",
            p.margin_mode.value if p.margin_mode else "-",
            money(p.unrealized_pnl),
        )
    return table


def _journal_view(reader: JournalReader | None) -> dict[str, Any]:
    if reader is None:
        return {"trading_state": "active (no journal yet)", "funding": [], "last_cycle": None}
    risk = reader.latest_risk_state()
    cycles = reader.last_cycles(1)
    return {
        "trading_state": risk.trading.value if risk else "active",
        "funding": [
            {"symbol": t.symbol, "currency": t.currency, "net": t.net, "paid": t.paid, "received": t.received}
            for t in reader.funding_totals()
        ],
        "last_cycle": (
            f"#{cycles[0].number} at {cycles[0].at:%Y-%m-%d %H:%M:%S} UTC, {cycles[0].orders} order(s)"
            if cycles
            else None
        ),
    }
