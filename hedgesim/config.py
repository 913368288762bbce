"""Settings of a simulated exchange: market data, time, the account, fees, book depth, ids and limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from hedgesim.account import Fees
from hedgesim.collateral import CollateralTier
from hedgesim.credentials import SIM_API_KEY, SIM_API_SECRET
from hedgesim.enums import MarginMode
from hedgesim.instruments import BookProfile
from hedgesim.keys import KeyPermissions
from hedgesim.marketdata import DEFAULT_SAMPLE, Sample

DEFAULT_USDT = Decimal(10_000)
DEFAULT_HOLDING_VALUE = Decimal(5_000)  # per spot asset of the sample, in USDT at the replay's start


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Everything that shapes one simulated exchange. The defaults mirror a fresh Bybit unified account.

    ``balances`` None gives the default account: 10 000 USDT and about 5 000 USDT worth of every spot asset
    of the sample. ``speed`` is historical seconds per exchange second. ``participation`` is the share of the
    volume traded through a resting order's price that fills it. ``books`` overrides the book profile per base
    asset. ``collateral`` sets coins' collateral value ratios (``hedgesim.collateral``: stablecoins 1, others 0.95 by
    default). ``key`` is the API key's permissions, address binding and expiry (``hedgesim.keys``).
    ``control_token`` guards the control API (/__sim/). Rate limits follow Bybit's (per key per endpoint
    per second, 600 requests per 5 s per IP, then an IP ban of ``ip_ban_seconds``); ``rate_limits=False`` lifts
    them (benchmarks).
    """

    sample: str | Path = DEFAULT_SAMPLE
    start: datetime | None = None
    speed: float = 1.0
    balances: Mapping[str, Decimal] | None = None
    fees: Fees = field(default_factory=Fees)
    api_key: str = SIM_API_KEY
    api_secret: str = SIM_API_SECRET
    control_token: str | None = None  # the control API's token; None: a fresh random one per server
    key: KeyPermissions = field(default_factory=KeyPermissions)  # what the API key may do (trade, by default)
    default_leverage: Decimal = Decimal(10)
    margin_mode: MarginMode = MarginMode.CROSS
    participation: Decimal = Decimal("0.25")
    books: Mapping[str, BookProfile] = field(default_factory=dict)
    collateral: Mapping[str, tuple[CollateralTier, ...]] = field(default_factory=dict)
    seed: int = 0
    rate_limits: bool = True
    ip_ban_seconds: float = 600.0


def default_balances(sample: Sample) -> dict[str, Decimal]:
    """10 000 USDT plus about 5 000 USDT of each spot asset at the sample's first price (two significant digits)."""
    balances = {"USDT": DEFAULT_USDT}
    for series in sample.series:
        if series.market == "spot" and series.kind == "ohlcv" and series.candles:
            qty = DEFAULT_HOLDING_VALUE / series.candles[0].open
            balances[series.base] = qty.quantize(Decimal(1).scaleb(qty.adjusted() - 1), ROUND_DOWN)
    return balances
