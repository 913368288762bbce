"""`hedgebot scenario`: the portfolio's outcome for market moves at several hedge ratios, before costs."""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation

from rich.table import Table

from bot.cli.output import money, out, percent, print_json, show
from bot.config import AppConfig
from bot.errors import DataError
from bot.scenario import DEFAULT_MOVES, DEFAULT_RATIOS, Exposure, ScenarioTable, scenario_table
from hedgesim.errors import MarketDataError
from hedgesim.marketdata import DEFAULT_SAMPLE, available_samples, load_sample

HELP = "what-if table: portfolio outcome for market moves at several hedge ratios"
DESCRIPTION = """\
For each market move (the holdings' prices moving together) show the portfolio's profit or loss, before
fees and funding, unhedged and at several hedge ratios, plus the ratios the configuration sets per holding.
With --funding-rate, also show the funding the short receives (or pays, negative) per day.

Holdings are the configuration's static holdings (holdings.static) plus any --holding. Prices come from
--price, else from the newest close in the bundled real market data samples (named in the output).
Exchange wallets are not read by this command.

examples:
  hedgebot scenario --config config.example.toml
  hedgebot scenario --config my.toml --price SOL=150 --funding-rate -0.0003 --json
  hedgebot scenario --config my.toml --moves -40,-20,20 --ratios 0,0.5,1
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "scenario", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--moves", type=_decimal_list, metavar="PCTS", help="market moves in percent, comma-separated")
    parser.add_argument("--ratios", type=_decimal_list, metavar="RATIOS", help="hedge ratios, e.g. 0,0.5,0.75,1")
    parser.add_argument("--funding-rate", type=_decimal, metavar="RATE", help="funding per settlement, e.g. -0.0001")
    parser.add_argument("--funding-interval-hours", type=_decimal, default=Decimal(8), metavar="H")
    parser.add_argument("--price", action="append", default=[], type=_pair, metavar="ASSET=PRICE")
    parser.add_argument("--holding", action="append", default=[], type=_pair, metavar="ASSET=QTY")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    parser.set_defaults(handler=run, needs_config=True)


def run(args: argparse.Namespace) -> int:
    config: AppConfig = args.config
    quantities = _quantities(config, dict(args.holding))
    if not quantities:
        raise DataError("no holdings: add [[holdings.static]] entries to the configuration or pass --holding ASSET=QTY")
    prices, price_source = _prices(set(quantities), dict(args.price))
    exposures = [
        Exposure(asset, qty * prices[asset], config.hedge_for(asset).ratio or config.policy.ratio)
        for asset, qty in sorted(quantities.items())
    ]
    moves = [m / 100 for m in args.moves] if args.moves else list(DEFAULT_MOVES)
    ratios = args.ratios if args.ratios else list(DEFAULT_RATIOS)
    table = scenario_table(exposures, moves, ratios, args.funding_rate, args.funding_interval_hours)
    if args.json:
        print_json(_as_json(table, exposures, prices, price_source))
    else:
        _print(table, exposures, prices, price_source)
    return 0


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
        raise DataError(f"no price for {', '.join(sorted(missing))}: pass --price ASSET=PRICE")
    return prices, "; ".join(sources)


def _print(table: ScenarioTable, exposures: list[Exposure], prices: dict[str, Decimal], source: str) -> None:
    out.print(f"Portfolio value {money(table.portfolio_value)} USDT; prices from {source}", markup=False)
    for e in exposures:
        out.print(f"  {e.asset:<8} {money(e.value):>14}  at {money(prices[e.asset], 4)}  ratio {e.configured_ratio}")
    grid = Table(title="Portfolio P&L by market move and hedge ratio (before fees and funding)")
    grid.add_column("move", justify="right", no_wrap=True)
    for col in table.columns:
        grid.add_column(f"{col.label}\n(hedge {money(col.hedge_notional, 0)})", justify="right")
    for row in table.rows:
        cells = [f"{money(c.pnl)}\n{percent(c.pnl_pct)}" for c in row.cells]
        grid.add_row(percent(row.move * 100, 0), *cells)
    if table.funding_rate is not None:
        grid.add_row(
            "funding/day",
            *[money(c.funding_per_day) for c in table.columns],
            style="italic",
        )
    show(grid)
    if table.funding_rate is not None:
        out.print(
            f"Funding at {table.funding_rate} per {table.funding_interval_hours}h settlement: positive = the short "
            "receives, negative = the short pays.",
            markup=False,
        )


def _as_json(
    table: ScenarioTable, exposures: list[Exposure], prices: dict[str, Decimal], source: str
) -> dict[str, object]:
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
        "funding_rate": table.funding_rate,
        "funding_interval_hours": table.funding_interval_hours,
        "columns": [
            {
                "label": c.label,
                "ratio": c.ratio,
                "hedge_notional": c.hedge_notional,
                "funding_per_day": c.funding_per_day,
            }
            for c in table.columns
        ],
        "rows": [
            {
                "move": row.move,
                "outcomes": [
                    {"label": col.label, "pnl": cell.pnl, "pnl_pct": cell.pnl_pct}
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
