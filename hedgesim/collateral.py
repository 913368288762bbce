"""Collateral value ratios: how much of each coin a unified account in cross margin counts as margin.

Bybit ("Understanding Collateral Value Ratios in Unified Trading Account", help centre): in cross margin the wallet
balance is the sum over coins of quantity x USD index price x collateral value ratio, the ratio tiered by quantity
(a tier's ratio applies to the part of the holding inside it: /v5/spot-margin-trade/collateral lists ``minQty``,
``maxQty``, ``collateralRatio``); a negative balance (a liability) counts at 100 %. Stablecoins count in full. Bybit
reviews the other coins' ratios from time to time and publishes no fixed table: the default here is 0.95, the
ratio its documentation's examples give BTC (/v5/account/collateral-info, /v5/spot-margin-uta/vip-margin); set
``SimConfig.collateral`` for others. In isolated margin only USDT backs USDT perpetuals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class CollateralTier:
    """The ratio for the part of a holding up to ``up_to`` coins (None: no upper bound), above the tier before."""

    ratio: Decimal
    up_to: Decimal | None = None


FULL = (CollateralTier(Decimal(1)),)
OTHER_COINS = (CollateralTier(Decimal("0.95")),)
DEFAULT_COLLATERAL: Mapping[str, tuple[CollateralTier, ...]] = {"USDT": FULL, "USDC": FULL}


def tiers_of(coin: str, table: Mapping[str, tuple[CollateralTier, ...]]) -> tuple[CollateralTier, ...]:
    """A coin's tiers: the configured ones, else the stablecoins' full value or the other coins' default."""
    return table.get(coin) or DEFAULT_COLLATERAL.get(coin) or OTHER_COINS


def collateral_quantity(qty: Decimal, tiers: tuple[CollateralTier, ...]) -> Decimal:
    """How many coins of a holding of ``qty`` count as margin (times the USD price, its collateral value)."""
    if qty <= 0:
        return qty  # a liability counts in full
    counted = floor = ZERO
    for tier in tiers:
        top = qty if tier.up_to is None else min(qty, tier.up_to)
        if top > floor:
            counted += (top - floor) * tier.ratio
            floor = top
        if tier.up_to is None or qty <= tier.up_to:
            break
    return counted
