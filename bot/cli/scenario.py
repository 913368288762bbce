"""`hedgebot scenario`: the portfolio's outcome for market moves at several hedge ratios, before costs."""

from __future__ import annotations

import argparse
import re
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from rich.table import Table

from bot.cli.output import money, out, percent, print_json, show
from bot.config import AppConfig
from bot.domain import DEFAULT_MAINTENANCE_MARGIN_RATE
from bot.errors import DataError, UsageError
from bot.scenario import (
    DEFAULT_MOVES,
    DEFAULT_RATIOS,
    Exposure,
    HedgeMargin,
    ScenarioColumn,
    ScenarioTable,
    scenario_table,
)
from hedgesim.errors import MarketDataError
from hedgesim.marketdata import DEFAULT_SAMPLE, available_samples, load_sample

HELP = "what-if table: portfolio outcome for market moves at several hedge ratios, up to liquidation"
DESCRIPTION = """\
For each market move (the holdings' prices moving together) show the portfolio's profit or loss, before
fees and funding, unhedged and at several hedge ratios, plus the ratios the configuration sets per holding.
With --funding-rate, also show the funding the short receives (or pays, negative) per day.

The short is a margined position at the configuration's execution.leverage and execution.margin_mode,
opened at today's prices: a large enough rise liquidates it (isolated, with the default 1% maintenance
rate: near +48.5% at 2x, +98% at 1x). The row "liquidated at" shows that move for each ratio; at and beyond
it (cells marked *) the short's margin is lost and the holdings rise unhedged. In cross margin the short is
backed by --collateral USDT (default: its initial margin, the least the venue accepts), all of which is lost
on liquidation. The estimate is the risk gate's: it ignores fees, funding and tiered maintenance rates, and
takes the maintenance margin on the mark value (Bybit takes it on the entry value: +49.5% instead of
+49.25% at 2x and 0.5%).

Holdings are the configuration's static holdings (holdings.static) plus any --holding. Prices come from
--price, else from the newest close in the bundled real market data samples (named in the output).
Exchange wallets are not read by this command.

examples:
  hedgebot scenario --config config.example.toml
  hedgebot scenario --config my.toml --price SOL=150 --funding-rate -0.0003 --json
  hedgebot scenario --config my.toml --moves -40,-20,20,60 --ratios 0,0.5,1
  hedgebot scenario --config my.toml --maintenance-rate 0.005
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "scenario", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # A value starting with "-" and a digit is a value, not an option ("--moves -40,-20,20"), as in Python 3.13.
    parser._negative_number_matcher = re.compile(r"^-\.?\d")
    parser.add_argument("--moves", type=_decimal_list, metavar="PCTS", help="market moves in percent, e.g. -40,-20,20")
    parser.add_argument("--ratios", type=_decimal_list, metavar="RATIOS", help="hedge ratios, e.g. 0,0.5,0.75,1")
    parser.add_argument("--funding-rate", type=_decimal, metavar="RATE", help="funding per settlement, e.g. -0.0001")
    parser.add_argument("--funding-interval-hours", type=_decimal, default=Decimal(8), metavar="H")
    parser.add_argument("--price", action="append", default=[], type=_pair, metavar="ASSET=PRICE")
    parser.add_argument("--holding", action="append", default=[], type=_pair, metavar="ASSET=QTY")
    parser.add_argument(
        "--maintenance-rate",
        type=_decimal,
        default=DEFAULT_MAINTENANCE_MARGIN_RATE,
        metavar="RATE",
        help=f"maintenance margin rate of the hedge instruments (default {DEFAULT_MAINTENANCE_MARGIN_RATE})",
    )
    parser.add_argument(
        "--collateral", type=_decimal, metavar="USDT", help="cross margin: USDT backing the hedge (default: its margin)"
    )
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    parser.set_defaults(handler=run, needs_config=True, needs_secrets=False)


def run(args: argparse.Namespace) -> int:
    config: AppConfig = args.config
    quantities = _quantities(config, dict(args.holding))
    if not quantities:
        raise UsageError(
            [("--holding", "no holdings: add [[holdings.static]] entries to the configuration or pass --holding")]
        )
    prices, price_source = _prices(set(quantities), dict(args.price))
    exposures = [
        Exposure(asset, qty * prices[asset], config.hedge_for(asset).ratio or config.policy.ratio)
        for asset, qty in sorted(quantities.items())
    ]
    moves = [m / 100 for m in args.moves] if args.moves else list(DEFAULT_MOVES)
    ratios = args.ratios if args.ratios else list(DEFAULT_RATIOS)
    table = scenario_table(
        exposures, _margin(config, args), moves, ratios, args.funding_rate, args.funding_interval_hours
    )
    if args.json:
        print_json(_as_json(table, exposures, prices, price_source))
    else:
        _print(table, exposures, prices, price_source)
    return 0


def _margin(config: AppConfig, args: argparse.Namespace) -> HedgeMargin:
    execution = config.execution
    try:
        return HedgeMargin(execution.leverage, execution.margin_mode, args.maintenance_rate, args.collateral)
    except ValueError as exc:
        raise UsageError([("--collateral", str(exc))]) from None


def _quantities(config: AppConfig, extra: dict[str, Decimal]) -> dict[str, Decimal]:
    quantities: dict[str, Decimal] = {}
    for holding in config.holdings.static:
        quantities[holding.asset] = quantities.get(holding.asset, Decimal(0)) + holding.quantity
    for asset, qty in extra.items():
        quantities[asset] = quantities.get(asset, Decimal(0)) + qty
    return {a: q for a, q in quantities.items() if a not in config.holdings.exclude and q > 0}


def _prices(assets: set[str], given: dict[str, Decimal]) -> tuple[dict[str, Decimal], str]:
    prices = {a: p for a, p in given.items() if a in assets}
    sources = ["--price"] if prices else []
    for name in [DEFAULT_SAMPLE, *(s for s in available_samples() if s != DEFAULT_SAMPLE)]:
        missing = assets - prices.keys()
        if not missing:
            break
        try:
            sample = load_sample(name)
        except MarketDataError as exc:
            raise DataError(str(exc)) from exc
        found = False
        for asset in sorted(missing):
            series = sample.find(f"{asset}/USDT")
            if series and series.candles:
                prices[asset] = series.candles[-1].close
                found = True
        if found:
            sources.append(f"sample {sample.name} (Binance closes at {sample.end:%Y-%m-%d %H:%M} UTC)")
    missing = assets - prices.keys()
    if missing:
        raise UsageError([("--price", f"no price for {', '.join(sorted(missing))}: pass --price ASSET=PRICE")])
    return prices, "; ".join(sources)


def _print(table: ScenarioTable, exposures: list[Exposure], prices: dict[str, Decimal], source: str) -> None:
    margin = table.margin
    out.print(f"Portfolio value {money(table.portfolio_value)} USDT; prices from {source}", markup=False)
    for e in exposures:
        out.print(f"  {e.asset:<8} {money(e.value):>14}  at {money(prices[e.asset], 4)}  ratio {e.configured_ratio}")
    backing = "" if margin.collateral is None else f", {money(margin.collateral)} USDT of collateral"
    out.print(
        f"The short: {margin.leverage.normalize():f}x, {margin.margin_mode.value} margin{backing}, maintenance rate "
        f"{percent(margin.maintenance_margin_rate * 100, 2).removeprefix('+')}, opened at these prices.",
        markup=False,
    )
    grid = Table(title="Portfolio P&L by market move and hedge ratio (before fees and funding)")
    grid.add_column("move", justify="right")
    for col in table.columns:
        grid.add_column(f"{col.label}\nhedge\n{money(col.hedge_notional, 0)}", justify="right")
    for row in table.rows:
        cells = [f"{money(c.pnl)}\n{percent(c.pnl_pct)}{' *' if c.liquidated else ''}" for c in row.cells]
        grid.add_row(percent(row.move * 100, 0), *cells)
    grid.add_row("liquidated at", *[_liquidation(c) for c in table.columns], style="bold")
    grid.add_row("margin lost", *[money(-c.margin) if c.margin else "-" for c in table.columns], style="bold")
    if table.funding_rate is not None:
        grid.add_row("funding/day", *[money(c.funding_per_day) for c in table.columns], style="italic")
    show(grid)
    if any(cell.liquidated for row in table.rows for cell in row.cells):
        out.print(
            "* the short is liquidated at this move: its margin is lost and the holdings rise unhedged.",
            markup=False,
        )
    if table.funding_rate is not None:
        out.print(
            f"Funding at {table.funding_rate} per {table.funding_interval_hours}h settlement: positive = the short "
            "receives, negative = the short pays.",
            markup=False,
        )


def _liquidation(column: ScenarioColumn) -> str:
    """The liquidating move, rounded toward zero: never shown farther away than estimated."""
    if column.liquidation_move is None:
        return "no short"
    return percent((column.liquidation_move * 100).quantize(Decimal("0.1"), ROUND_DOWN))


def _as_json(
    table: ScenarioTable, exposures: list[Exposure], prices: dict[str, Decimal], source: str
) -> dict[str, object]:
    margin = table.margin
    return {
        "portfolio_value": table.portfolio_value,
        "price_source": source,
        "holdings": [
            {
                "asset": e.asset,
                "price": prices[e.asset],
                "value": e.value,
                "configured_ratio": e.configured_ratio,
            }
            for e in exposures
        ],
        "leverage": margin.leverage,
        "margin_mode": margin.margin_mode.value,
        "maintenance_margin_rate": margin.maintenance_margin_rate,
        "collateral": margin.collateral,
        "funding_rate": table.funding_rate,
        "funding_interval_hours": table.funding_interval_hours,
        "columns": [
            {
                "label": c.label,
                "ratio": c.ratio,
                "hedge_notional": c.hedge_notional,
                "funding_per_day": c.funding_per_day,
                "liquidation_move": c.liquidation_move,
                "margin_lost_on_liquidation": c.margin,
            }
            for c in table.columns
        ],
        "rows": [
            {
                "move": row.move,
                "outcomes": [
                    {"label": col.label, "pnl": cell.pnl, "pnl_pct": cell.pnl_pct, "liquidated": cell.liquidated}
                    for col, cell in zip(table.columns, row.cells, strict=True)
                ],
            }
            for row in table.rows
        ],
    }


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def _decimal_list(text: str) -> list[Decimal]:
    return [_decimal(part) for part in text.split(",") if part.strip()]


def _pair(text: str) -> tuple[str, Decimal]:
    asset, sep, number = text.partition("=")
    if not sep or not asset.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: expected ASSET=NUMBER, e.g. SOL=150")
    value = _decimal(number)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: the number must be positive")
    return asset.strip().upper(), value
