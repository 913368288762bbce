"""Policies and modifiers by name, and the one function that composes them from the ``[policy]`` settings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from policies.base import HoldingOverride, Modifier, RatioPolicy
from policies.config import ModifierName, PolicyConfig, PolicyName
from policies.funding_guard import FundingGuard
from policies.hedge_policy import HedgePolicy
from policies.proxy import Router
from policies.ratio import EventWindowRatio, FixedRatio
from policies.take_profit import TakeProfit

RATIO_POLICIES: Mapping[PolicyName, Callable[[PolicyConfig, Mapping[str, Decimal]], RatioPolicy]] = {
    "fixed_ratio": FixedRatio.from_config,
    "event_window": EventWindowRatio.from_config,
}
MODIFIERS: Mapping[ModifierName, Callable[[PolicyConfig], Modifier]] = {
    "funding_guard": FundingGuard.from_config,
    "take_profit": TakeProfit.from_config,
}


def build_policy(config: PolicyConfig, overrides: Iterable[HoldingOverride] = ()) -> HedgePolicy:
    """The base policy ``config.name`` with ``config.modifiers`` in order, and per-holding overrides."""
    by_asset = {override.asset: override for override in overrides}
    ratios = {asset: o.ratio for asset, o in by_asset.items() if o.ratio is not None}
    return HedgePolicy(
        ratio_policy=RATIO_POLICIES[config.name](config, ratios),
        router=Router(by_asset, config.proxy),
        modifiers=tuple(MODIFIERS[name](config) for name in config.modifiers),
    )
