"""The execution benchmark's results (pure): each window's reports, the bot's ratios to the other hedgers, whether it
met the target against the taker and why not, and bench/results.md. Used by scripts/bench_execution.py."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bot.replay.report import Report

COST_TARGET = Decimal("0.5")  # the bot's execution cost at most this share of the taker's
TRACKING_TARGET = Decimal("1.5")  # at no more than this multiple of the taker's tracking error
HEDGERS = ("bot", "taker", "marketable limit", "ideal")


@dataclass(frozen=True, slots=True)
class BotProbe:
    """The figures the held-out probe reported for the bot."""

    price_deviation_denials: int
    median_touch_distance_bps: Decimal | None
    resting_samples: int


@dataclass(frozen=True, slots=True)
class Result:
    """One window: every hedger's report (bot, taker, marketable limit, ideal) and the bot's probe figures."""

    window: str  # its name
    reports: dict[str, Report]
    probe: BotProbe
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)
    # The bot's and the taker's tracking error from the moment both had first built the hedge (None: one never did).
    built: tuple[datetime, Decimal, Decimal] | None = None


def execution_cost(report: Report) -> Decimal:
    """What the way of trading cost: fees + slippage against the decision mid (funding apart)."""
    return report.fees + report.slippage


def ratio(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


@dataclass(frozen=True, slots=True)
class Ratios:
    """The bot's figures over another hedger's, each from the same report field (None where the other's is 0)."""

    cost: Decimal | None
    execution_cost: Decimal | None
    tracking_error: Decimal | None
    hedge_effectiveness: Decimal | None


def ratios(bot: Report, other: Report) -> Ratios:
    return Ratios(
        cost=ratio(bot.cost, other.cost),
        execution_cost=ratio(execution_cost(bot), execution_cost(other)),
        tracking_error=ratio(bot.tracking_error, other.tracking_error),
        hedge_effectiveness=ratio(bot.hedge_effectiveness, other.hedge_effectiveness),
    )


def meets_target(bot: Report, taker: Report) -> tuple[bool, bool]:
    """(execution cost at most half the taker's, tracking error at most 1.5x the taker's)."""
    return (
        execution_cost(bot) <= COST_TARGET * execution_cost(taker),
        bot.tracking_error <= TRACKING_TARGET * taker.tracking_error,
    )


def verdict(result: Result) -> str:
    """Whether the bot met the target against the taker in this window, and if not, what the figures say why."""
    bot, taker = result.reports["bot"], result.reports["taker"]
    against = ratios(bot, taker)
    cheap, close = meets_target(bot, taker)
    if cheap and close:
        return (
            f"Target met: execution cost {_x(against.execution_cost)} and tracking error "
            f"{_x(against.tracking_error)} the taker's."
        )
    misses = []
    if not cheap:
        misses.append(
            f"execution cost {_money(execution_cost(bot))} against the taker's {_money(execution_cost(taker))} "
            f"({_x(against.execution_cost)}; fees {_money(bot.fees)} vs {_money(taker.fees)}, slippage "
            f"{_money(bot.slippage)} vs {_money(taker.slippage)})"
        )
    if not close:
        misses.append(
            f"tracking error {_pct(bot.tracking_error)} against the taker's {_pct(taker.tracking_error)} "
            f"({_x(against.tracking_error)}): out of band {_duration(bot.time_out_of_band)} vs "
            f"{_duration(taker.time_out_of_band)}, hedge built in {_duration(bot.time_to_hedge)} vs "
            f"{_duration(taker.time_to_hedge)}"
        )
        if result.built is not None:
            since, bot_after, taker_after = result.built
            within = bot_after <= TRACKING_TARGET * taker_after
            misses.append(
                f"from {since:%Y-%m-%d %H:%M}, once both had built the hedge, {_pct(bot_after)} against "
                f"{_pct(taker_after)}"
                + (
                    ", within the target: the miss is the time its post-only orders waited for the market to "
                    "trade through them while building the hedge, which the taker's market orders built at once "
                    "(the report sees a resting order's fill at the end of the step it falls in, a market order's at "
                    "once: a maker building the hedge is out of band for one step at least)"
                    if within
                    else ""
                )
            )
    probe = result.probe
    why = (
        f"its resting orders sat a median {_bps(probe.median_touch_distance_bps)} behind the touch, "
        f"{probe.price_deviation_denials} orders were denied by risk.max_price_deviation_bps, "
        f"{bot.post_only_rejections} post-only orders were rejected and {bot.reprices} re-priced"
    )
    return "Target missed: " + "; ".join(misses) + ". Where the bot lost time or money: " + why + "."


def markdown(results: Sequence[Result], command: str, skipped: str | None, seconds: float) -> str:
    lines = [
        "# Execution benchmark",
        "",
        f"Command: `{command}`  ",
        f"Machine: {os.cpu_count()} cores, {_cpu_model()}, Python {platform.python_version()}  ",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {seconds:.0f} s of wall time",
        "",
        "The sample portfolio of each window (about 5,000 USDT of every spot asset, hedged at 75 %) steered by the "
        "bot, then to the bot's own targets by a taker (market orders for the whole gap when it leaves the same "
        "band), a marketable-limit hedger (Hummingbot's `hedge`: every minute, a limit at the touch +- 1 %, "
        "cancelled after 100 s) and the ideal hedge (at target every step, at no cost), one cycle per step of "
        "market time on the simulator (a minute unless a window says otherwise). Money in USDT. Cost = fees + slippage against the decision mid - funding "
        "received; execution cost = fees + slippage. Target: the bot's execution cost at most half the taker's, at "
        "no more than 1.5x the taker's tracking error. Scripts: `scripts/bench_execution.py`, "
        "`scripts/bench_baselines.py`, `scripts/bench_results.py`.",
        "",
        "On the stepped clock no market time passes inside a cycle (each cycle's reads, decisions and orders happen "
        "at one moment, as in `hedgebot replay`): what latency costs a live bot (a book read some hundreds of "
        "milliseconds before its order lands) does not show here; what the band, the passive price, re-pricing, "
        "partial fills and the risk gate cost does.",
        "",
    ]
    if skipped:
        lines += [f"_{skipped}_", ""]
    for result in results:
        lines += _window_section(result)
    return "\n".join(lines) + "\n"


def _window_section(result: Result) -> list[str]:
    reports = result.reports
    bot = reports["bot"]
    lines = [
        f"## {result.window}",
        "",
        f"{bot.start:%Y-%m-%d %H:%M} to {bot.end:%Y-%m-%d %H:%M} UTC, {bot.steps - 1} cycles"
        + ("" if bot.step == timedelta(minutes=1) else f" (one every {bot.step.total_seconds():.0f} s)")
        + ", portfolio "
        f"{_money(bot.unhedged_start)} ({_pct(bot.unhedged_return)} unhedged); {result.seconds:.0f} s.",
        "",
        "| hedger | cost | execution cost | fees | slippage | funding | tracking error | hedge effectiveness "
        "| maker share | orders |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in reports.items():
        lines.append(
            f"| {name} | {_money(r.cost)} | {_money(execution_cost(r))} | {_money(r.fees)} | {_money(r.slippage)} | "
            f"{_money(r.funding)} | {_pct(r.tracking_error)} | {_fraction(r.hedge_effectiveness)} | "
            f"{_pct(r.maker_share)} | {r.orders} |"
        )
    lines += [
        "",
        "| bot / | cost | execution cost | tracking error | hedge effectiveness |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in HEDGERS[1:]:
        over = ratios(bot, reports[name])
        lines.append(
            f"| {name} | {_x(over.cost)} | {_x(over.execution_cost)} | {_x(over.tracking_error)} "
            f"| {_x(over.hedge_effectiveness)} |"
        )
    probe = result.probe
    lines += [
        "",
        f"Bot: {probe.price_deviation_denials} orders denied by risk.max_price_deviation_bps; resting orders a median "
        f"{_bps(probe.median_touch_distance_bps)} from the touch ({probe.resting_samples} samples); maker share "
        f"{_pct(bot.maker_share)}; {bot.post_only_rejections} post-only rejections, {bot.reprices} re-prices, "
        f"{bot.cancels} cancels.",
        "",
        verdict(result),
        "",
    ]
    for note in result.notes:
        lines += [f"Note: {note}", ""]
    return lines


def _x(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def _money(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def _pct(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f} %"


def _fraction(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _bps(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:.1f} bps"


def _duration(value: timedelta | None) -> str:
    return "never" if value is None else f"{value.total_seconds() / 60:.0f} min"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
