"""Named, hand-computable market data and exchanges for the simulator's specifications."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hedgesim import SimConfig, SimExchange
from hedgesim.account import Fees
from hedgesim.enums import MarginMode
from hedgesim.marketdata import Candle, Sample, Series

D = Decimal
T0 = datetime(2025, 1, 1, tzinfo=UTC)
FIVE_MINUTES = timedelta(minutes=5)
BIG_VOLUME = D(100_000)

# (open, high, low, close) per 5-minute bar
Bar = tuple[str, str, str, str]


def flat(price: str, count: int) -> list[Bar]:
    return [(price, price, price, price)] * count


def candles(
    bars: Sequence[Bar], start: datetime = T0, step: timedelta = FIVE_MINUTES, volume: Decimal = BIG_VOLUME
) -> tuple[Candle, ...]:
    return tuple(Candle(start + i * step, D(o), D(h), D(lo), D(c), volume) for i, (o, h, lo, c) in enumerate(bars))


def funding_rows(
    rates: Sequence[str], start: datetime = T0, every: timedelta = timedelta(hours=8)
) -> tuple[Candle, ...]:
    """A freqtrade funding series: the rate per settlement in ``open``."""
    return tuple(Candle(start + i * every, D(r), D(0), D(0), D(0), D(0)) for i, r in enumerate(rates))


def sol_sample(
    perp: Sequence[Bar],
    spot: Sequence[Bar] | None = None,
    funding: Sequence[str] = (),
    volume: Decimal = BIG_VOLUME,
    base: str = "SOL",
) -> Sample:
    """SOL (or ``base``) spot and perpetual 5-minute bars (spot defaults to the perp's), funding every 8 h from T0."""
    series = [
        Series(f"{base}/USDT", "spot", "ohlcv", candles(spot if spot is not None else perp, volume=volume), "test"),
        Series(f"{base}/USDT:USDT", "perp", "ohlcv", candles(perp, volume=volume), "test"),
    ]
    if funding:
        series.append(Series(f"{base}/USDT:USDT", "perp", "funding", funding_rows(funding), "test"))
    return Sample(f"test-{base.lower()}", f"synthetic {base}", T0, T0 + len(perp) * FIVE_MINUTES, tuple(series))


def crash_sample() -> Sample:
    """SOL at 100 for 5 minutes, up to 101 in the next bar, then 90 for a day; funding 0, +0.01 %, -0.03 %."""
    bars = [*flat("100", 1), ("100", "101", "100", "101"), *flat("90", 286)]
    return sol_sample(bars, funding=["0", "0.0001", "-0.0003", "0.0001"])


def flat_sample(price: str = "100", hours: int = 24) -> Sample:
    return sol_sample(flat(price, hours * 12), funding=["0.0001"] * (hours // 8 + 1))


def exchange(
    sample: Sample,
    usdt: str = "10000",
    sol: str = "0",
    margin_mode: MarginMode = MarginMode.CROSS,
    participation: str = "0.25",
) -> SimExchange:
    """A deterministic exchange on ``sample`` with Bybit's base-tier fees."""
    config = SimConfig(
        sample=sample.name,
        balances={"USDT": D(usdt), "SOL": D(sol)},
        fees=Fees(),
        margin_mode=margin_mode,
        participation=D(participation),
    )
    return SimExchange.deterministic(config, sample=sample)
