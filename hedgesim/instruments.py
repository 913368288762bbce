"""The simulated venue's instruments: Bybit's spot and linear-perpetual specs, risk tiers and book depth.

Sources: lot and tick filters, maximum leverage and price-limit ratios (``riskParameters``) are those of real
Bybit instruments-info records (ccxt's static fixtures, shared/fixtures/ccxt-static/bybit/instruments-info.raw.json;
SOL, AVAX and LINK, absent there, are realistic but unverified). Risk tiers: BTCUSDT's are Bybit's published table
(www.bybit.com/en/announcement-info/margin-parameters: 20 tiers); for the others only the first tier is modelled,
with Bybit's relation between a first tier's rates (maintenance = initial / 2, initial = 1 / maximum leverage: BTC
100x 0.5 %, the recorded LTCUSDT position 50x 1 %) and a limit that is unverified except LTCUSDT's 200 000 (the
recorded position's riskLimitValue). A position may not grow past its instrument's last tier (Bybit's 110090).
"""

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
    """One step of a perpetual's risk limit: up to ``limit`` USDT of position value, these margin rates.

    Maintenance margin in the tier is value x ``mmr`` - ``mm_deduction`` (Bybit's deduction makes it continuous
    across tiers); the initial margin rate is 1 / ``max_leverage``.
    """

    risk_id: int
    limit: Decimal
    mmr: Decimal  # maintenance margin rate
    max_leverage: Decimal
    mm_deduction: Decimal = ZERO

    @property
    def imr(self) -> Decimal:
        return 1 / self.max_leverage


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
    price_limit_x: Decimal  # riskParameters.priceLimitRatioX: the soft price band (see hedgesim.bands)
    price_limit_y: Decimal  # riskParameters.priceLimitRatioY: the hard price band
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
        """The tier a position of this value falls in (the last tier beyond every limit)."""
        return self.tier_within(position_value) or self.tiers[-1]

    def tier_within(self, position_value: Decimal) -> RiskTier | None:
        """The tier a position of this value falls in; None when it is beyond the last tier's limit."""
        for tier in self.tiers:
            if position_value <= tier.limit:
                return tier
        return None


@dataclass(frozen=True, slots=True)
class _Spec:
    """Bybit specs for a base asset: perp (tick, qty step, min qty, max qty, max market qty, max leverage), spot
    (tick, base precision, min qty, max qty), the book, the first tier's limit, and each market's price-limit
    ratios X and Y (instruments-info ``riskParameters``)."""

    perp: tuple[str, str, str, str, str, str] | None
    spot: tuple[str, str, str, str] | None
    book: BookProfile
    tier_limit: str = "2000000"
    perp_limits: tuple[str, str] = ("0.05", "0.1")
    spot_limits: tuple[str, str] = ("0.05", "0.1")


# Bybit's published BTCUSDT risk tiers (margin-parameters page): (risk limit, max leverage, MMR, MM deduction)
BTC_TIERS: tuple[tuple[int, str, str, int], ...] = (
    (2_000_000, "100", "0.005", 0), (2_600_000, "90", "0.0056", 1_200), (3_200_000, "80", "0.0063", 3_020),
    (3_800_000, "75", "0.0067", 4_300), (4_400_000, "70", "0.0071", 5_820), (5_000_000, "65", "0.0077", 8_460),
    (5_600_000, "55", "0.0091", 15_460), (8_500_000, "50", "0.01", 20_500), (10_000_000, "45", "0.013", 46_000),
    (14_000_000, "40", "0.015", 66_000), (20_000_000, "35", "0.016", 80_000), (28_000_000, "30", "0.02", 160_000),
    (38_000_000, "25", "0.025", 300_000), (50_000_000, "20", "0.029", 452_000), (55_000_000, "19", "0.03", 502_000),
    (60_000_000, "18", "0.035", 777_000), (65_000_000, "17", "0.036", 837_000), (70_000_000, "16", "0.038", 967_000),
    (75_000_000, "15", "0.04", 1_107_000), (80_000_000, "14", "0.045", 1_482_000),
)  # fmt: skip

# Bybit's specs (instruments-info) for the assets in the bundled samples and a few more; price-limit ratios as
# recorded (BTC, ETH, LTC, XRP, DOGE, ADA), else the (0.05, 0.1) most recorded instruments carry.
KNOWN: Mapping[str, _Spec] = {
    "BTC": _Spec(
        ("0.10", "0.001", "0.001", "1190", "119", "100"), ("0.1", "0.000001", "0.000011", "83"), DEEP_BOOK,
        perp_limits=("0.01", "0.02"), spot_limits=("0.01", "0.02"),
    ),
    "ETH": _Spec(
        ("0.01", "0.01", "0.01", "7240", "724", "100"), ("0.01", "0.00001", "0.00029", "4616"), DEEP_BOOK,
        perp_limits=("0.02", "0.04"), spot_limits=("0.01", "0.03"),
    ),
    "SOL": _Spec(("0.010", "0.1", "0.1", "79770", "7977", "100"), ("0.01", "0.001", "0.021", "63000"), MEDIUM_BOOK),
    "XRP": _Spec(
        ("0.0001", "1", "1", "10965300", "2467800", "75"), ("0.0001", "0.01", "0.44", "2390343"), MEDIUM_BOOK,
        spot_limits=("0.02", "0.06"),
    ),
    "DOGE": _Spec(
        ("0.00001", "1", "1", "43678900", "5991100", "75"), ("0.00001", "0.1", "3", "22340128"), MEDIUM_BOOK,
        spot_limits=("0.03", "0.06"),
    ),
    "ADA": _Spec(("0.0001", "1", "1", "6315500", "1109600", "75"), ("0.0001", "0.01", "1.07", "7591573"), MEDIUM_BOOK),
    "LTC": _Spec(
        ("0.01", "0.1", "0.1", "28740", "6160", "50"), ("0.01", "0.00001", "0.00923", "22975"), MEDIUM_BOOK,
        tier_limit="200000",
    ),
    "AVAX": _Spec(("0.001", "0.1", "0.1", "91000", "9100", "50"), ("0.01", "0.001", "0.2", "50000"), MEDIUM_BOOK),
    "LINK": _Spec(("0.001", "0.1", "0.1", "116000", "11600", "50"), ("0.001", "0.01", "0.34", "100000"), MEDIUM_BOOK),
}  # fmt: skip


def perp_instrument(base: str, price: Decimal, funding_interval_minutes: int = 480) -> Instrument:
    """The USDT linear perpetual on ``base`` with Bybit's specs, or specs derived from ``price`` if unknown."""
    spec = KNOWN.get(base)
    if spec is None or spec.perp is None:
        tick, step = _derived_steps(price)
        perp = (str(tick), str(step), str(step), str(step * 10_000_000), str(step * 1_000_000), "25")
        spec = _Spec(perp, None, THIN_BOOK, tier_limit="200000", perp_limits=("0.1", "0.2"))  # as ZRXUSDT (25x)
    assert spec.perp is not None
    tick, step, min_qty, max_qty, max_market, max_leverage = (D(v) for v in spec.perp)
    ratio_x, ratio_y = (D(v) for v in spec.perp_limits)
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
        tiers=_tiers(base, D(spec.tier_limit), max_leverage),
        funding_interval_minutes=funding_interval_minutes,
        price_limit_x=ratio_x,
        price_limit_y=ratio_y,
        book=spec.book,
    )


def spot_instrument(base: str, price: Decimal) -> Instrument:
    """The ``base``/USDT spot market with Bybit's specs, or specs derived from ``price`` if unknown."""
    spec = KNOWN.get(base)
    if spec is not None and spec.spot is not None:
        tick, precision, min_qty, max_qty = (D(v) for v in spec.spot)
        book = spec.book.scaled(SPOT_DEPTH_FACTOR)
        ratio_x, ratio_y = (D(v) for v in spec.spot_limits)
    else:
        tick, precision = _derived_steps(price)
        min_qty, max_qty, book = precision, precision * 10_000_000, THIN_BOOK.scaled(SPOT_DEPTH_FACTOR)
        ratio_x, ratio_y = D("0.05"), D("0.1")
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
        price_limit_x=ratio_x,
        price_limit_y=ratio_y,
        book=book,
    )


def _tiers(base: str, first_limit: Decimal, max_leverage: Decimal) -> tuple[RiskTier, ...]:
    """The instrument's risk tiers: BTC's published table; otherwise the first tier alone (see the docstring)."""
    if base == "BTC":
        return tuple(
            RiskTier(index, D(limit), D(mmr), D(leverage), D(deduction))
            for index, (limit, leverage, mmr, deduction) in enumerate(BTC_TIERS, start=1)
        )
    return (RiskTier(1, first_limit, 1 / max_leverage / 2, max_leverage),)


def _derived_steps(price: Decimal) -> tuple[Decimal, Decimal]:
    """A tick of about 1/10 000 of the price and a lot worth 0.01 to 0.1 USDT, both powers of ten."""
    magnitude = price.adjusted()  # floor(log10(price))
    return D(1).scaleb(magnitude - 4), D(1).scaleb(-magnitude - 2)
