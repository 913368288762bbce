"""The simulated venue's instruments: Bybit-like spot and linear-perpetual specs, risk tiers and book depth."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from hedgesim.rounding import to_step

D = Decimal
ZERO, ONE = D(0), D(1)
QUARTER = D("0.25")


class Category(StrEnum):
    """Bybit v5 product categories the simulator lists."""

    SPOT = "spot"
    LINEAR = "linear"


@dataclass(frozen=True, slots=True)
class RiskTier:
    """One step of a perpetual's risk limit: up to ``limit`` USDT of position value, these margin rates."""

    risk_id: int
    limit: Decimal
    mmr: Decimal  # maintenance margin rate
    imr: Decimal  # initial margin rate at the tier's maximum leverage
    mm_deduction: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class BookProfile:
    """Shape of the synthetic order book around the price.

    ``spread_bps`` is the touch-to-touch spread, ``step_bps`` the distance between levels (both at least one
    tick), ``touch_notional`` the quote value resting at each best level and ``growth`` how much more rests at
    each further level (level i holds touch_notional x (1 + growth x i)).
    """

    spread_bps: Decimal
    step_bps: Decimal
    touch_notional: Decimal
    growth: Decimal = QUARTER

    def scaled(self, factor: Decimal) -> BookProfile:
        return replace(self, touch_notional=self.touch_notional * factor)


DEEP_BOOK = BookProfile(spread_bps=D("0.01"), step_bps=D("0.01"), touch_notional=D(150_000))
MEDIUM_BOOK = BookProfile(spread_bps=D(1), step_bps=D("0.5"), touch_notional=D(25_000))
THIN_BOOK = BookProfile(spread_bps=D(10), step_bps=D(5), touch_notional=D(1_500), growth=D("0.5"))
SPOT_DEPTH_FACTOR = D("0.3")  # spot books are thinner than the perpetual's


@dataclass(frozen=True, slots=True)
class Instrument:
    """One tradable market as the venue publishes it (Bybit instruments-info)."""

    name: str  # venue id, e.g. "BTCUSDT"
    category: Category
    base: str
    quote: str
    tick_size: Decimal
    qty_step: Decimal  # linear: qtyStep; spot: basePrecision
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal  # linear: minNotionalValue; spot: minOrderAmt
    price_limit_x: Decimal  # market orders fill within last +- this (priceLimitRatioX)
    price_limit_y: Decimal  # limit prices may be at most this far beyond the mark (priceLimitRatioY)
    book: BookProfile
    max_market_qty: Decimal = ZERO  # linear only: maxMktOrderQty
    max_notional: Decimal = ZERO  # spot only: maxOrderAmt
    max_leverage: Decimal = ONE
    tiers: tuple[RiskTier, ...] = ()
    funding_interval_minutes: int = 480
    launch_time_ms: int = 1_600_000_000_000

    @property
    def symbol(self) -> str:
        """The ccxt unified symbol, for logs and inspection."""
        pair = f"{self.base}/{self.quote}"
        return pair if self.category is Category.SPOT else f"{pair}:{self.quote}"

    @property
    def key(self) -> tuple[Category, str]:
        return (self.category, self.name)

    def on_tick(self, price: Decimal) -> Decimal:
        """A published price (mark, index, last) on the nearest tick."""
        return to_step(price, self.tick_size, ROUND_HALF_EVEN)

    def tier_for(self, position_value: Decimal) -> RiskTier:
        for tier in self.tiers:
            if position_value <= tier.limit:
                return tier
        return self.tiers[-1]


@dataclass(frozen=True, slots=True)
class _Spec:
    """Real Bybit specs for a base asset: (tick, qty step, min qty, max qty, max market qty, max leverage, book)."""

    perp: tuple[str, str, str, str, str, str] | None
    spot: tuple[str, str, str, str] | None  # tick, base precision, min qty, max qty
    book: BookProfile
    mmr: str = "0.005"
    tier_limit: str = "2000000"
    limit_x: str = "0.01"


# Bybit's published specs (instruments-info, 2025) for the assets in the bundled samples and a few more.
KNOWN: Mapping[str, _Spec] = {
    "BTC": _Spec(("0.10", "0.001", "0.001", "1190", "119", "100"), ("0.1", "0.000001", "0.000011", "83"), DEEP_BOOK),
    "ETH": _Spec(("0.01", "0.01", "0.01", "7240", "724", "100"), ("0.01", "0.00001", "0.00029", "4616"), DEEP_BOOK),
    "SOL": _Spec(("0.010", "0.1", "0.1", "79770", "7977", "100"), ("0.01", "0.001", "0.021", "63000"), MEDIUM_BOOK),
    "XRP": _Spec(("0.0001", "1", "1", "10965300", "2467800", "75"), ("0.0001", "0.01", "0.44", "2390343"), MEDIUM_BOOK),
    "DOGE": _Spec(
        ("0.00001", "1", "1", "43678900", "5991100", "75"), ("0.00001", "0.1", "3", "22340128"), MEDIUM_BOOK, "0.01"
    ),
    "ADA": _Spec(
        ("0.0001", "1", "1", "6315500", "1109600", "75"), ("0.0001", "0.01", "1.07", "7591573"), MEDIUM_BOOK, "0.01"
    ),
    "LTC": _Spec(("0.01", "0.1", "0.1", "28740", "6160", "50"), ("0.01", "0.00001", "0.00923", "22975"), MEDIUM_BOOK),
    "AVAX": _Spec(
        ("0.001", "0.1", "0.1", "91000", "9100", "50"), ("0.01", "0.001", "0.2", "50000"), MEDIUM_BOOK, "0.01"
    ),
    "LINK": _Spec(
        ("0.001", "0.1", "0.1", "116000", "11600", "50"), ("0.001", "0.01", "0.34", "100000"), MEDIUM_BOOK, "0.01"
    ),
}


def perp_instrument(base: str, price: Decimal, funding_interval_minutes: int = 480) -> Instrument:
    """The USDT linear perpetual on ``base`` with Bybit's specs, or specs derived from ``price`` if unknown."""
    spec = KNOWN.get(base)
    if spec is None or spec.perp is None:
        tick, step = _derived_steps(price)
        perp = (str(tick), str(step), str(step), str(step * 10_000_000), str(step * 1_000_000), "25")
        spec = _Spec(perp, None, THIN_BOOK, mmr="0.01", tier_limit="200000", limit_x="0.05")
    assert spec.perp is not None
    tick, step, min_qty, max_qty, max_market, max_leverage = (D(v) for v in spec.perp)
    return Instrument(
        name=f"{base}USDT",
        category=Category.LINEAR,
        base=base,
        quote="USDT",
        tick_size=tick,
        qty_step=step,
        min_qty=min_qty,
        max_qty=max_qty,
        min_notional=D(5),
        max_market_qty=max_market,
        max_leverage=max_leverage,
        tiers=_tiers(D(spec.mmr), D(spec.tier_limit), max_leverage),
        funding_interval_minutes=funding_interval_minutes,
        price_limit_x=D(spec.limit_x),
        price_limit_y=D(spec.limit_x) * 2,
        book=spec.book,
    )


def spot_instrument(base: str, price: Decimal) -> Instrument:
    """The ``base``/USDT spot market with Bybit's specs, or specs derived from ``price`` if unknown."""
    spec = KNOWN.get(base)
    if spec is not None and spec.spot is not None:
        tick, precision, min_qty, max_qty = (D(v) for v in spec.spot)
        book = spec.book.scaled(SPOT_DEPTH_FACTOR)
    else:
        tick, precision = _derived_steps(price)
        min_qty, max_qty, book = precision, precision * 10_000_000, THIN_BOOK.scaled(SPOT_DEPTH_FACTOR)
    return Instrument(
        name=f"{base}USDT",
        category=Category.SPOT,
        base=base,
        quote="USDT",
        tick_size=tick,
        qty_step=precision,
        min_qty=min_qty,
        max_qty=max_qty,
        min_notional=D(5),
        max_notional=D(4_000_000),
        price_limit_x=D("0.05"),
        price_limit_y=D("0.1"),
        book=book,
    )


def _tiers(mmr: Decimal, limit: Decimal, max_leverage: Decimal) -> tuple[RiskTier, ...]:
    """Three risk-limit tiers in Bybit's pattern: each doubles the limit and adds 0.5 % to MMR and IMR."""
    tiers = []
    deduction = D(0)
    imr = 1 / max_leverage
    previous_limit, previous_mmr = D(0), mmr
    for index in range(3):
        tier_mmr = mmr + D("0.005") * index
        deduction += previous_limit * (tier_mmr - previous_mmr)
        tier_limit = limit * 2**index
        tiers.append(RiskTier(index + 1, tier_limit, tier_mmr, imr + D("0.005") * index, deduction))
        previous_limit, previous_mmr = tier_limit, tier_mmr
    return tuple(tiers)


def _derived_steps(price: Decimal) -> tuple[Decimal, Decimal]:
    """A tick of about 1/10 000 of the price and a lot worth 0.01 to 0.1 USDT, both powers of ten."""
    magnitude = price.adjusted()  # floor(log10(price))
    return D(1).scaleb(magnitude - 4), D(1).scaleb(-magnitude - 2)
