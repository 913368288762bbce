"""Specification of replayed price paths: interpolation inside a bar, ranges, volume traded through a level."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hedgesim.clock import to_ms
from hedgesim.paths import PricePath
from tests.sim.factories import T0, candles

D = Decimal
START = to_ms(T0)
BAR_MS = 300_000

# one bar: open 100, low 95 (nearer, so visited first) at 100 s, high 110 at 200 s, close 105 at 300 s
ONE_BAR = PricePath(candles([("100", "110", "95", "105")], volume=D(300)), BAR_MS)


@pytest.mark.parametrize(
    ("seconds", "price"),
    [(-60, "100"), (0, "100"), (50, "97.5"), (100, "95"), (150, "102.5"), (250, "107.5"), (300, "105"), (900, "105")],
)
def test_price_when_inside_or_outside_the_bar_then_open_nearer_extreme_other_extreme_close(
    seconds: int, price: str
) -> None:
    assert ONE_BAR.price(START + seconds * 1000) == D(price)


def test_price_when_high_is_nearer_than_low_then_high_comes_first() -> None:
    path = PricePath(candles([("100", "101", "90", "95")]), BAR_MS)
    assert path.price(START + 100_000) == D(101)
    assert path.price(START + 200_000) == D(90)


@pytest.mark.parametrize(
    ("from_s", "to_s", "low", "high"),
    [(0, 300, "95", "110"), (0, 50, "97.5", "100"), (150, 250, "102.5", "110"), (250, 600, "105", "107.5")],
)
def test_range_when_asked_for_an_interval_then_lowest_and_highest_on_the_path(
    from_s: int, to_s: int, low: str, high: str
) -> None:
    assert ONE_BAR.range(START + from_s * 1000, START + to_s * 1000) == (D(low), D(high))


@pytest.mark.parametrize(
    ("level", "below", "volume"),
    [
        # below 98: 3/5 of the leg 100->95 (60 s) and 1/5 of the leg 95->110 (20 s); 1 unit per second
        ("98", True, "80"),
        # above 107: 1/5 of the leg 95->110 (20 s) and 3/5 of the leg 110->105 (60 s)
        ("107", False, "80"),
        ("110", False, "0"),
        ("94", True, "0"),
        ("120", True, "300"),
    ],
)
def test_volume_through_when_price_crosses_a_level_then_volume_traded_beyond_it(
    level: str, below: bool, volume: str
) -> None:
    assert ONE_BAR.volume_through(START, START + BAR_MS, D(level), below) == D(volume)


def test_price_when_a_bar_is_missing_then_the_previous_close_holds_with_no_volume() -> None:
    bars = candles([("100", "100", "100", "100")]) + candles([("90", "90", "90", "90")], start=T0.replace(minute=10))
    path = PricePath(bars, BAR_MS)
    assert path.price(START + 400_000) == D(100)  # inside the missing 00:05 bar
    assert path.volume_through(START + 300_000, START + 600_000, D(200), True) == 0


def test_window_when_a_day_of_bars_then_open_extremes_and_volume_of_the_window() -> None:
    bars = [("100", "100", "100", "100")] * 287 + [("100", "120", "100", "120")]
    path = PricePath(candles(bars, volume=D(10)), BAR_MS)
    stats = path.window(START + 288 * BAR_MS)
    assert (stats.open, stats.high, stats.low, stats.volume) == (D(100), D(120), D(100), D(2880))


def test_bars_when_aggregating_to_a_coarser_interval_then_ohlc_and_volume_of_the_bucket() -> None:
    path = PricePath(candles([("100", "101", "99", "100"), ("100", "104", "100", "103")], volume=D(5)), BAR_MS)
    forming, full = path.bars(2 * BAR_MS, START + 2 * BAR_MS, 2)
    assert (full.start, full.ohlc, full.volume) == (START, (D(100), D(104), D(99), D(103)), D(10))
    assert (forming.start, forming.ohlc, forming.volume) == (START + 2 * BAR_MS, (D(103),) * 4, D(0))
