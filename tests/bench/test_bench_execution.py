"""The execution benchmark measures what it claims (scripts/bench_execution.py, bench_baselines.py and
bench_results.py): on half an hour of the 10 Oct 2025 cascade, the taker fills at the touch as taker, the
marketable-limit hedger takes within its slippage allowance, the ideal hedge costs nothing and tracks exactly, and
every ratio and verdict is computed from the same report fields."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from bot.domain import Side
from bot.replay.record import InstrumentStep, Recording, Step, Trade
from bot.replay.report import Report, build_report
from bot.replay.session import Prepared, engine_for
from hedgesim.instruments import Category
from tests.replay.factories import cascade_replay

D = Decimal
SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
T0 = datetime.fromisoformat("2025-10-10T20:00:00+00:00")


def _script(name: str) -> ModuleType:
    """A module of scripts/ (not a package), loaded once."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


bench = _script("bench_execution")
baselines = _script("bench_baselines")
results = _script("bench_results")


@dataclass(frozen=True)
class Replayed:
    prepared: Prepared
    bot: Recording
    taker: Recording
    limit: Recording


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    """The bot, then the taker and the marketable-limit hedger to its targets, over 30 minutes of the cascade."""
    prepared = cascade_replay(tmp_path_factory.mktemp("bench"), hours=0.5)

    async def run() -> Replayed:
        bot, _ = await bench.run_bot(prepared)
        targets = baselines.targets_by_step(bot)
        band = prepared.config.execution.band
        taker = await bench.run_baseline(prepared, targets, lambda seat: baselines.TakerHedger(seat, band))
        limit = await bench.run_baseline(prepared, targets, baselines.MarketableLimitHedger)
        return Replayed(prepared, bot, taker, limit)

    return asyncio.run(run())


def _touch(prepared: Prepared, trade: Trade) -> tuple[Decimal, Decimal]:
    """(best bid, best ask) of the trade's instrument at its moment, on an engine where nobody traded."""
    engine = engine_for(prepared)
    engine.advance(trade.at - engine.clock.now())
    name = trade.symbol.split("/")[0] + "USDT"
    book = engine.order_book(Category.LINEAR, name, 1)
    return book.bids[0].price, book.asks[0].price


def test_taker_when_the_hedge_is_built_then_each_order_fills_first_at_the_touch_as_taker(replayed: Replayed) -> None:
    trades = replayed.taker.trades
    assert trades, "the taker built the hedge"
    assert all(t.maker is False for t in trades)
    firsts: dict[tuple[datetime, str], Trade] = {}
    for trade in trades:
        key = (trade.at, trade.symbol)
        best = firsts.get(key)
        if best is None or trade.side.sign * (best.price - trade.price) > 0:
            firsts[key] = trade
    for trade in firsts.values():
        bid, ask = _touch(replayed.prepared, trade)
        assert trade.price == (ask if trade.side is Side.BUY else bid)
        assert trade.decision_mid == (bid + ask) / 2


def test_taker_when_recorded_then_it_steers_to_the_bots_own_targets(replayed: Replayed) -> None:
    bot_targets = baselines.targets_by_step(replayed.bot)
    taker_targets = baselines.targets_by_step(replayed.taker)
    assert any(any(t != 0 for t in step.values()) for step in bot_targets.values())
    assert taker_targets == bot_targets


def test_marketable_limit_when_the_hedge_is_built_then_it_takes_within_its_slippage_of_the_touch(
    replayed: Replayed,
) -> None:
    trades = replayed.limit.trades
    assert trades
    assert all(t.maker is False for t in trades)
    slippage = baselines.HUMMINGBOT_SLIPPAGE
    for trade in trades:
        bid, ask = _touch(replayed.prepared, trade)
        if trade.side is Side.BUY:
            assert ask <= trade.price <= ask * (1 + slippage)
        else:
            assert bid * (1 - slippage) <= trade.price <= bid


def test_ideal_when_built_from_the_bots_recording_then_zero_cost_and_zero_tracking_error(replayed: Replayed) -> None:
    report = build_report(baselines.ideal(replayed.bot))
    assert report.fees == report.slippage == report.funding == report.cost == 0
    assert report.tracking_error == 0
    assert report.orders == report.fills == 0
    assert report.steps == len(replayed.bot.steps)
    assert report.hedge_effectiveness is not None
    assert report.hedge_effectiveness > D("0.5")


def _step(minute: int, spot: str, target: str, mark: str, contracts: str = "0") -> Step:
    at = T0 + timedelta(minutes=minute)
    sol = InstrumentStep("SOL/USDT:USDT", contracts=D(contracts), target=D(target), mark=D(mark))
    return Step(at=at, spot_value=D(spot), perp_pnl=D("-7"), fees=D(3), funding=D(-1), instruments=(sol,))


def test_ideal_when_the_mark_moves_then_the_held_target_earns_the_move_and_the_new_target_is_free() -> None:
    recording = Recording(
        steps=(_step(0, "1000", "-2", "100"), _step(1, "900", "-3", "90"), _step(2, "990", "-3", "99"))
    )
    steps = baselines.ideal(recording).steps
    # -2 contracts held from 100 to 90 earn 20; then -3 from 90 to 99 lose 27; the spot values are the bot's.
    assert [s.perp_pnl for s in steps] == [0, 20, -7]
    assert [s.instruments[0].contracts for s in steps] == [-2, -3, -3]
    assert [s.spot_value for s in steps] == [1000, 900, 990]
    assert all(s.fees == s.funding == 0 for s in steps)


def _report(fees: str, slippage: str, tracking_error: str, effectiveness: str = "0.8") -> Report:
    """A report of two steps (funding -1) with the figures a ratio or a verdict reads set by hand."""
    base = build_report(Recording(steps=(_step(0, "1000", "-2", "100"), _step(1, "900", "-2", "90", "-2"))))
    return replace(
        base,
        fees=D(fees),
        slippage=D(slippage),
        tracking_error=D(tracking_error),
        hedge_effectiveness=D(effectiveness),
    )


def test_ratios_when_computed_then_each_is_the_bots_report_field_over_the_others() -> None:
    bot, taker = _report("2", "-0.5", "0.015", "0.9"), _report("4", "0.5", "0.01", "0.6")
    ratios = results.ratios(bot, taker)
    assert ratios.cost == bot.cost / taker.cost == (D(2) - D("0.5") + 1) / (D(4) + D("0.5") + 1)  # funding -1 each
    assert ratios.execution_cost == D("1.5") / D("4.5")
    assert ratios.tracking_error == D("1.5")
    assert ratios.hedge_effectiveness == D("1.5")
    ideal = replace(_report("0", "0", "0", "0.95"), funding=D(0))
    assert results.ratios(bot, ideal) == results.Ratios(None, None, None, D("0.9") / D("0.95"))


@pytest.mark.parametrize(
    ("bot", "taker", "met", "cost_missed", "tracking_missed"),
    [
        (("2", "-0.5", "0.015"), ("4", "0.5", "0.01"), True, False, False),  # 1.5 / 4.5, 1.5x: both at the edge
        (("2", "0.3", "0.01"), ("4", "0.5", "0.01"), False, True, False),  # 2.3 / 4.5: more than half
        (("1", "0", "0.016"), ("4", "0.5", "0.01"), False, False, True),  # 1.6x the taker's tracking error
        (("3", "0", "0.03"), ("4", "0.5", "0.01"), False, True, True),
    ],
)
def test_verdict_when_bot_and_taker_figures_given_then_target_met_only_within_half_the_cost_and_1_5x_tracking(
    bot: tuple[str, str, str], taker: tuple[str, str, str], met: bool, cost_missed: bool, tracking_missed: bool
) -> None:
    reports = {"bot": _report(*bot), "taker": _report(*taker)}
    probe = results.BotProbe(price_deviation_denials=4, median_touch_distance_bps=D("12.5"), resting_samples=9)
    text = results.verdict(results.Result("w", reports, probe, 1.0))
    assert text.startswith("Target met") is met
    assert ("against the taker's 4.50" in text) is cost_missed
    assert ("against the taker's 1.00 %" in text) is tracking_missed
    if not met:
        assert "12.5 bps behind the touch" in text
        assert "4 orders were denied" in text


@pytest.mark.parametrize(
    ("after", "named"),
    [(("0.004", "0.003"), True), (("0.005", "0.003"), False)],  # 1.33x once built: the building; 1.67x: not only
)
def test_verdict_when_tracking_missed_then_the_building_is_named_the_cause_only_if_tracking_held_once_built(
    after: tuple[str, str], named: bool
) -> None:
    reports = {"bot": _report("1", "0", "0.02"), "taker": _report("4", "0.5", "0.01")}
    probe = results.BotProbe(price_deviation_denials=0, median_touch_distance_bps=D(0), resting_samples=3)
    built = (T0, D(after[0]), D(after[1]))
    text = results.verdict(results.Result("w", reports, probe, 1.0, built=built))
    assert text.startswith("Target missed")
    assert f"{D(after[0]) * 100:.2f} % against 0.30 %" in text
    assert ("within the target: the miss is the time its post-only orders waited" in text) is named


@pytest.mark.parametrize(
    ("quick", "only", "expected"),
    [
        (True, (), [w.name for w in bench.BUNDLED]),
        (
            False,
            ("into the crash", "2021-05"),
            ["2025-10 cascade, hedge built into the crash (bundled)", "2021-05 crash"],
        ),
        (True, ("2021-05",), []),  # --quick leaves the crash windows out before --window picks
    ],
    ids=["quick", "named windows", "a crash window under --quick"],
)
def test_windows_when_named_then_only_those_whose_name_holds_the_text_run(
    tmp_path: Path, quick: bool, only: tuple[str, ...], expected: list[str]
) -> None:
    chosen, _ = bench.windows(quick, tmp_path, only)  # tmp_path: an existing data folder, so the crashes count
    assert [w.name for w in chosen] == expected


def test_window_options_when_a_step_is_given_then_the_replay_cycles_at_it(tmp_path: Path) -> None:
    assert bench.BUNDLED[0].options(tmp_path, timedelta(seconds=20)).step == timedelta(seconds=20)
    assert bench.BUNDLED[0].options(tmp_path).step == timedelta(minutes=1)
