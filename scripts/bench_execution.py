#!/usr/bin/env python3
"""Benchmark: the bot's execution against a taker, a marketable-limit hedger and the ideal hedge, window by window.

Each window (a crash) is replayed with ``hedgebot replay``'s machinery: the sample portfolio (about 5,000 USDT of
every spot asset of the data, hedged at 75 % on its own perpetual, or on BTC's with an estimated beta when it has
none; some windows put more holdings on the BTC proxy) is hedged by the real loop against the simulator engine on a
stepped clock (one cycle per minute of market time, or per ``--step``). Then the three baselines of ``bench_baselines.py`` steer the
same portfolio to the bot's own targets on fresh engines over the same window, and the replay's report module
scores all four from the same recorded series:

- cost = fees + slippage against the mid when the order was decided - funding received (the report's ``cost``);
  execution cost = fees + slippage (what the way of trading costs; funding is what holding the short costs);
- tracking error: the time-weighted |short notional - target| / portfolio value; hedge effectiveness:
  1 - Var(hedged returns) / Var(unhedged returns);
- the ratios bot/taker, bot/marketable-limit and bot/ideal of each, from the same report fields;
- for the bot: orders the risk gate denied on ``risk.max_price_deviation_bps``, the median distance of its resting
  orders from the touch (sampled at every step), and its maker share.

The target: the bot's execution cost at most half the taker's, at no more than 1.5x the taker's tracking error.
Windows: the two bundled samples, each from its start and with the hedge built into the crash; with ``--data``
(default ../shared/data beside the checkout, or ../../shared/data beside a worktree's folder) also the May 2021,
LUNA May 2022, FTX November 2022, August 2024 and October 2025 crashes, altcoins on the BTC perpetual as proxy
hedges beside direct ones; without that folder those windows are skipped, and the results say so.

``--step`` replays at another cycle interval (bot and baselines alike; e.g. 20s, the simulator's finest straight
leg of 1-minute candles: the bot then re-prices resting orders three times a minute), ``--window`` runs only the
windows whose name contains the text given (repeatable): what re-pricing between cycles could gain, measured.

usage: scripts/bench_execution.py [--quick] [--data DIR] [--out bench/results.md] [--step 1m] [--window TEXT]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_baselines import (  # noqa: E402
    BaselinePort,
    MarketableLimitHedger,
    Seat,
    TakerHedger,
    ideal,
    targets_by_step,
)
from bench_results import HEDGERS, BotProbe, Result, markdown, verdict  # noqa: E402

from bot.config import HedgeConfig  # noqa: E402
from bot.durations import parse_duration  # noqa: E402
from bot.execution.reading import HISTORY_TIMEFRAME  # noqa: E402
from bot.journal.reader import open_reader  # noqa: E402
from bot.logging import configure_logging  # noqa: E402
from bot.replay.port import SimPort  # noqa: E402
from bot.replay.record import Recording  # noqa: E402
from bot.replay.report import build_report, tracking_error  # noqa: E402
from bot.replay.run import Hedger, Progress, Recorder, replay  # noqa: E402
from bot.replay.session import (  # noqa: E402
    Prepared,
    ReplayOptions,
    Session,
    engine_for,
    holdings,
    load_market,
    prepare,
    sample_portfolio,
)
from bot.risk.decision import DenialCode  # noqa: E402
from hedgesim import SimExchange  # noqa: E402
from hedgesim.enums import Side as SimSide  # noqa: E402
from hedgesim.instruments import Category  # noqa: E402

STEP = timedelta(minutes=1)
# The market data collection beside the checkout (../shared/data), or beside its parent folder for a git worktree
# kept in a folder of worktrees (../../shared/data).
DATA = next(
    (d for d in (ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data") if d.is_dir()),
    ROOT.parent / "shared" / "data",
)
OUT = ROOT / "bench" / "results.md"
PROXY = "BTC/USDT:USDT"
BPS = Decimal(10_000)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of market to replay: a bundled sample, or event folders of the data collection and a window."""

    name: str
    sample: str | None = None
    folders: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    proxied: tuple[str, ...] = ()  # holdings hedged on the BTC perpetual although they have their own

    def options(self, data: Path, step: timedelta = STEP) -> ReplayOptions:
        return ReplayOptions(
            sample=self.sample,
            data=tuple(data / folder for folder in self.folders),
            start=self.start,
            end=self.end,
            step=step,
        )


BUNDLED = (
    Window("2022-06 3AC (bundled)", sample="2022-06-3ac-crash"),
    Window(
        "2022-06 3AC, hedge built into the 13 June drop (bundled)",
        sample="2022-06-3ac-crash",
        start=_utc("2022-06-13T00:00"),
        end=_utc("2022-06-14T00:00"),
    ),
    Window("2025-10 cascade (bundled)", sample="2025-10-liquidation-cascade"),
    Window(
        "2025-10 cascade, hedge built into the crash (bundled)",
        sample="2025-10-liquidation-cascade",
        start=_utc("2025-10-10T20:00"),
        end=_utc("2025-10-11T04:00"),
    ),
)
CRASHES = (
    Window(
        "2021-05 crash",
        folders=("01_may2021", "02_btc_perp_history_2019-2022"),
        start=_utc("2021-05-18T00:00"),
        end=_utc("2021-05-20T18:00"),
    ),
    Window(
        "2022-05 LUNA",
        folders=("04_luna_3ac_2022", "02_btc_perp_history_2019-2022"),
        start=_utc("2022-05-09T00:00"),
        end=_utc("2022-05-12T12:00"),
    ),
    Window(
        "2022-11 FTX",
        folders=("05_3ac_ftx_perp_2022H2", "06_ftx_nov2022"),
        start=_utc("2022-11-07T12:00"),
        end=_utc("2022-11-10T12:00"),
    ),
    Window(
        "2022-11 FTX, ETH on BTC",
        folders=("05_3ac_ftx_perp_2022H2", "06_ftx_nov2022"),
        start=_utc("2022-11-07T12:00"),
        end=_utc("2022-11-10T12:00"),
        proxied=("ETH",),
    ),
    Window(
        "2024-08 yen unwind",
        folders=("07_aug2024",),
        start=_utc("2024-08-03T12:00"),
        end=_utc("2024-08-06T12:00"),
    ),
    Window(
        "2025-10 cascade, alts on BTC",
        folders=("09_2025_spot_perp_5m",),
        start=_utc("2025-10-09T12:00"),
        end=_utc("2025-10-12T00:00"),
        proxied=("ETH", "SOL"),
    ),
)


def prepare_window(window: Window, data: Path, out: Path, step: timedelta = STEP) -> Prepared:
    """The replay of ``window`` with the sample portfolio, its ``proxied`` holdings moved onto the BTC perpetual.
    Where that perpetual's candles are coarser than those the bot estimates betas from (hourly in 2021 and May
    2022), every proxy hedge takes a beta of 1 instead of an estimate."""
    options = replace(window.options(data, step), out=out)
    sample, start, _ = load_market(options)
    config, balances = sample_portfolio(sample, start)
    coarse = any(
        s.symbol == PROXY and s.kind == "ohlcv" and s.interval > parse_duration(HISTORY_TIMEFRAME)
        for s in sample.series
    )
    beta: Decimal | Literal["estimate"] = Decimal(1) if coarse else "estimate"
    hedges = {asset: HedgeConfig(proxy=PROXY, beta=beta) for asset in window.proxied}
    policy = config.policy.model_copy(update={"proxy": config.policy.proxy.model_copy(update={"default_beta": beta})})
    config = config.model_copy(update={"hedges": {**config.hedges, **hedges}, "policy": policy})
    prepared = prepare(config, "replay", replace(options, balances=balances))
    if coarse:
        note = (
            f"{PROXY}'s candles are coarser than the {HISTORY_TIMEFRAME} ones the bot estimates betas from: every "
            "proxy hedge at a beta of 1; and within each candle the simulated perpetual walks straight from its open "
            "to its extremes and close, so a resting order waits for the leg that crosses it"
        )
        prepared = replace(prepared, notes=(*prepared.notes, note))
    return prepared


class TouchProbe:
    """Samples, after every cycle, how far each resting order of ours is behind the touch of its side (bps)."""

    def __init__(self, engine: SimExchange) -> None:
        self._engine = engine
        self.distances: list[Decimal] = []

    def observe(self, _: Progress) -> None:
        for order in self._engine.open_orders(Category.LINEAR):
            book = self._engine.order_book(Category.LINEAR, order.symbol, 1)
            if order.side is SimSide.SELL and book.asks:
                best = book.asks[0].price
                self.distances.append((order.price - best) / best * BPS)
            elif order.side is SimSide.BUY and book.bids:
                best = book.bids[0].price
                self.distances.append((best - order.price) / best * BPS)

    @property
    def median(self) -> Decimal | None:
        return statistics.median(self.distances) if self.distances else None


async def run_bot(prepared: Prepared) -> tuple[Recording, BotProbe]:
    session = Session(prepared)
    probe = TouchProbe(session.engine)
    try:
        recording = await session.run(probe.observe)
    finally:
        session.close()
    with open_reader(prepared.journal) as journal:
        denied = journal.denied_on(DenialCode.MAX_PRICE_DEVIATION)
    return recording, BotProbe(denied, probe.median, len(probe.distances))


async def run_baseline(
    prepared: Prepared, targets: dict[datetime, dict[str, Decimal]], make: Callable[[Seat], Hedger]
) -> Recording:
    """A baseline through the same window on a fresh engine, recorded by the replay's own recorder."""
    engine = engine_for(prepared)
    port = BaselinePort(SimPort(prepared.venue, engine), engine.clock)
    markets = await port.load_markets()
    execution = prepared.config.execution
    seat = Seat(engine, port, markets, targets, execution.leverage, execution.margin_mode)
    recorder = Recorder(port, await holdings(prepared, port), markets)
    return await replay(engine, make(seat), recorder, until=prepared.end, step=prepared.step, band=execution.band)


async def run_window(window: Window, data: Path, scratch: Path, step: timedelta = STEP) -> Result:
    started = time.monotonic()
    prepared = prepare_window(window, data, scratch, step)
    bot, probe = await run_bot(prepared)
    targets = targets_by_step(bot)
    band = prepared.config.execution.band
    taker = await run_baseline(prepared, targets, lambda seat: TakerHedger(seat, band))
    limit = await run_baseline(prepared, targets, MarketableLimitHedger)
    recordings = dict(zip(HEDGERS, (bot, taker, limit, ideal(bot)), strict=True))
    reports = {name: build_report(recording) for name, recording in recordings.items()}
    built = None
    if reports["bot"].time_to_hedge is not None and reports["taker"].time_to_hedge is not None:
        since = reports["bot"].start + max(reports["bot"].time_to_hedge, reports["taker"].time_to_hedge)
        built = (since, tracking_since(bot, since), tracking_since(taker, since))
    return Result(window.name, reports, probe, time.monotonic() - started, bot.notes, built)


def tracking_since(recording: Recording, since: datetime) -> Decimal:
    """The report's tracking error over the steps from ``since`` on."""
    return tracking_error([step for step in recording.steps if step.at >= since])


def windows(quick: bool, data: Path, only: Sequence[str] = ()) -> tuple[list[Window], str | None]:
    """The windows to run (those whose name contains one of ``only``, if given), and why the crash windows are
    skipped when they are."""
    if quick:
        chosen, skipped = list(BUNDLED), "--quick: the bundled windows only."
    elif not data.is_dir():
        chosen = list(BUNDLED)
        skipped = f"{data} is absent: the bundled windows only (the crash windows need that collection)."
    else:
        chosen, skipped = [*BUNDLED, *CRASHES], None
    if only:
        chosen = [w for w in chosen if any(text in w.name for text in only)]
    return chosen, skipped


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the bundled windows only")
    parser.add_argument("--data", type=Path, default=DATA, help=f"the market data collection (default {DATA})")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write the results (default {OUT})")
    parser.add_argument("--step", type=parse_duration, default=STEP, help="market time between cycles (default 1m)")
    parser.add_argument("--window", action="append", default=[], metavar="TEXT", help="only windows named with TEXT")
    args = parser.parse_args(argv)
    configure_logging("error", "console")
    chosen, skipped = windows(args.quick, args.data, args.window)
    started = time.monotonic()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-execution-") as scratch:
        for window in chosen:
            result = await run_window(window, args.data, Path(scratch) / f"w{len(results)}", args.step)
            print(f"{window.name}: {verdict(result)} ({result.seconds:.0f} s)", flush=True)
            results.append(result)
    command = "scripts/bench_execution.py " + " ".join(argv if argv is not None else sys.argv[1:])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(results, command.strip(), skipped, time.monotonic() - started))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
