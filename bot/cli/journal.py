"""`hedgebot journal`: read the journal (cycles, why a holding was not hedged, orders, fills, funding)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.table import Table

from bot.cli.output import money, out, print_json, show
from bot.clock import SystemClock
from bot.config import load_config
from bot.durations import DURATION_FORMS, parse_duration
from bot.errors import UsageError
from bot.journal import CycleRow, HoldingDecisionRecord, JournalReader, WhyRow, open_reader
from bot.paper.store import dry_run_journal
from bot.settings.from_config import journal_path

VIEWS = ("cycles", "why", "orders", "fills", "funding")

HELP = "query the journal: cycles, why a holding was not hedged, orders, fills, funding"
DESCRIPTION = """\
Read the journal the bot writes (safe while the bot runs; nothing is changed). VIEW is one of:

  cycles            the latest cycles: venue, trading state, holdings value, hedge, intents approved/denied, orders
  why ASSET         a holding's latest decisions with their reason codes and the risk gate's denials
  orders            the latest orders and their outcome (--open: only those not final or unknown)
  fills             the latest fills (--symbol, --since)
  funding           funding received and paid per instrument (--since)

A cycle that sends and cancels nothing and decides what the cycle before it decided (the same reasons, positions
and resting orders; only prices and the figures they move changed) is not written again: it extends that cycle's
run of unchanged cycles, shown as one row: in `cycles`, "cycles 12-480 unchanged" with the first cycle's figures;
in `why`, the last cycle's decision (a target drifting with prices inside the band included), "the same since" the
first. A run ends at the end of each UTC hour and whenever anything else is journaled (an order, a fill, funding,
an error, a trading-state change).

--since WHEN takes an ISO 8601 time or date (UTC unless it says otherwise), or an age before now written as
a duration, the same grammar as the configuration's: seconds (30), a number and a unit s/m/h/d (90s, 30m,
1.5h, 2d) or ISO 8601 (PT6H).

The journal file is --journal FILE, else [journal] path of the configuration (--config, $HEDGEBOT_CONFIG or
./hedgebot.toml; a relative path is relative to the configuration file); with --dry-run, the dry run's journal
beside either (`hedgebot run --dry-run`: <journal>.dry-run.sqlite).

examples:
  hedgebot journal --config my.toml                      the last 10 cycles
  hedgebot journal why SOL --config my.toml              why SOL is (not) hedged
  hedgebot journal fills --dry-run --config my.toml      the dry run's paper fills
  hedgebot journal orders --open --journal bot.sqlite    orders whose outcome is not final
  hedgebot journal fills --symbol SOL/USDT:USDT --since 24h --json
  hedgebot journal funding --since 2025-10-01
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "journal", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("view", nargs="?", choices=VIEWS, default="cycles", metavar="VIEW", help=", ".join(VIEWS))
    parser.add_argument("asset", nargs="?", metavar="ASSET", help="the holding, for `why` (e.g. SOL)")
    parser.add_argument("--journal", type=Path, metavar="FILE", help="the journal file (default: from --config)")
    parser.add_argument(
        "--dry-run", action="store_true", help="the dry run's journal, beside the one --journal or --config names"
    )
    parser.add_argument("-n", "--limit", type=_positive_int, default=None, metavar="N", help="rows to show")
    parser.add_argument("--symbol", metavar="SYMBOL", help="only this instrument, e.g. SOL/USDT:USDT")
    parser.add_argument(
        "--since", type=_since, metavar="WHEN", help="ISO time or date, or an age: 90s, 30m, 24h, 7d, PT6H"
    )
    parser.add_argument("--open", action="store_true", help="orders: only those whose outcome is not final")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=run, needs_config=False)


def run(args: argparse.Namespace) -> int:
    if args.view == "why" and not args.asset:
        raise UsageError([("why", "name the holding, e.g. `hedgebot journal why SOL`")])
    with open_reader(_path(args)) as reader:
        rows = _query(reader, args)
    if args.json:
        print_json([asdict(row) for row in rows])
    elif not rows:
        out.print(f"Nothing recorded{f' for {args.asset.upper()}' if args.view == 'why' else ''}.", markup=False)
    else:
        show(_RENDER[args.view](rows))
    return 0


def _path(args: argparse.Namespace) -> Path:
    """The journal to read: --journal, else the configuration's; with --dry-run, the dry run's beside it."""
    if args.journal is not None:
        path = Path(args.journal)
    else:
        config_path = getattr(args, "config", None) or Path(os.environ.get("HEDGEBOT_CONFIG", "hedgebot.toml"))
        path = journal_path(load_config(config_path, secrets=False))
    return dry_run_journal(path) if args.dry_run else path


def _query(reader: JournalReader, args: argparse.Namespace) -> Sequence[Any]:
    limit = args.limit
    if args.view == "cycles":
        return reader.last_cycles(limit or 10)
    if args.view == "why":
        return reader.why(args.asset, limit or 5)
    if args.view == "orders":
        return reader.orders(limit or 50, symbol=args.symbol, unresolved=args.open)
    if args.view == "fills":
        return reader.fills(limit or 50, symbol=args.symbol, since=args.since)
    totals = reader.funding_totals(args.since)
    return [t for t in totals if args.symbol is None or t.symbol == args.symbol]


def _cycles(rows: Sequence[Any]) -> Table:
    table = Table(title="Latest cycles (newest first)")
    for name in ("time (UTC)", "venue", "run", "cycle", "state"):
        table.add_column(name)
    for name in ("holdings", "hedge", "intents", "approved", "denied", "orders"):
        table.add_column(name, justify="right")
    table.add_column("unchanged", overflow="fold")
    for r in rows:
        table.add_row(
            _time(r.at), r.venue or "-", r.run_id, str(r.number), r.trading_state, money(r.holdings_value),
            money(r.hedge_notional), str(r.intents), str(r.approved), str(r.denied), str(r.orders), _unchanged(r),
        )  # fmt: skip
    return table


def _unchanged(row: CycleRow) -> str:
    """The run of unchanged cycles a cycle row stands for, if any."""
    if not row.repeats:
        return "-"
    return f"cycles {row.number}-{row.latest_number} unchanged, the last at {_time(row.latest_at)}"


def _why(rows: Sequence[WhyRow]) -> Table:
    first = rows[0].decision
    name = first.asset if isinstance(first, HoldingDecisionRecord) else first.symbol
    table = Table(title=f"Why: {name}'s latest decisions (newest first)")
    for name in ("time (UTC)", "instrument", "reason", "value", "ratio", "target", "current", "in flight", "gap"):
        table.add_column(name)
    table.add_column("note / denials", overflow="fold")
    for r in rows:
        d = r.decision
        value, ratio = (d.value, d.ratio) if isinstance(d, HoldingDecisionRecord) else (None, None)
        repeated = f"the same since {_time(r.since)} ({r.repeats + 1} cycles)" if r.since else ""
        notes = "\n".join(filter(None, [d.note, *(f"denied: {m}" for m in r.denials), repeated]))
        table.add_row(
            _time(r.at), d.symbol or "-", d.reason.value, money(value), _num(ratio), _num(d.target),
            _num(d.current), _num(d.in_flight), _num(d.gap), notes or "-",
        )  # fmt: skip
    return table


def _orders(rows: Sequence[Any]) -> Table:
    table = Table(title="Orders (newest first)")
    for name in ("time (UTC)", "client id", "symbol", "side", "amount", "price", "reduce", "status", "filled"):
        table.add_column(name)
    table.add_column("detail", overflow="fold")
    for o in rows:
        table.add_row(
            _time(o.created_at), o.client_order_id, o.symbol, o.side.value, str(o.amount), _num(o.price),
            "yes" if o.reduce_only else "no", o.status.value if o.status else "pending", _num(o.filled), o.detail,
        )  # fmt: skip
    return table


def _fills(rows: Sequence[Any]) -> Table:
    table = Table(title="Fills (newest first)")
    for name in ("time (UTC)", "symbol", "side", "amount", "price", "notional", "fee", "maker", "trade id"):
        table.add_column(name)
    table.add_column("client id")
    for r in rows:
        f = r.fill
        maker = "-" if f.maker is None else ("maker" if f.maker else "taker")
        table.add_row(
            _time(f.timestamp), f.symbol, f.side.value, str(f.amount), str(f.price), money(r.notional),
            f"{f.fee} {f.fee_currency}", maker, f.trade_id, f.client_order_id or "-",
        )  # fmt: skip
    return table


def _funding(rows: Sequence[Any]) -> Table:
    table = Table(title="Funding (received > 0, paid < 0)")
    for name in ("venue", "symbol", "currency", "payments", "received", "paid", "net"):
        table.add_column(name, justify="right" if name in ("received", "paid", "net") else "left")
    for t in rows:
        table.add_row(
            t.venue, t.symbol, t.currency, str(t.payments), money(t.received, 4), money(-t.paid, 4), money(t.net, 4)
        )
    return table


_RENDER = {"cycles": _cycles, "why": _why, "orders": _orders, "fills": _fills, "funding": _funding}


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _num(value: Any) -> str:
    return "-" if value is None else str(value)


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def _since(text: str) -> datetime:
    """An ISO 8601 time or date (UTC unless it says otherwise), or an age before now: a duration such as 24h."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        pass
    else:
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        age = parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected an ISO time or date (2025-10-10T12:00) or an age, written as {DURATION_FORMS}"
        ) from None
    return SystemClock().now() - age
