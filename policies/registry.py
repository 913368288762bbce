"""Policies and modifiers by name, and the one function that composes them from the policy settings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from bot.settings import HoldingOverride, ModifierName, PolicyName, PolicySettings
from policies.base import Modifier, RatioPolicy
from policies.funding_guard import FundingGuard
from policies.hedge_policy import HedgePolicy
from policies.proxy import Router
from policies.ratio import EventWindowRatio, FixedRatio
from policies.take_profit import TakeProfit

RATIO_POLICIES: Mapping[PolicyName, Callable[[PolicySettings, Mapping[str, Decimal]], RatioPolicy]] = {
    "fixed_ratio": FixedRatio.from_settings,
    "event_window": EventWindowRatio.from_settings,
}
MODIFIERS: Mapping[ModifierName, Callable[[PolicySettings], Modifier]] = {
    "funding_guard": FundingGuard.from_settings,
    "take_profit": TakeProfit.from_settings,
}


def build_policy(policy: PolicySettings, overrides: Iterable[HoldingOverride] = ()) -> HedgePolicy:
    """The base policy ``policy.name`` with ``policy.modifiers`` in order, and per-holding overrides."""
    by_asset = {override.asset: override for override in overrides}
    ratios = {asset: o.ratio for asset, o in by_asset.items() if o.ratio is not None}
    return HedgePolicy(
        ratio_policy=RATIO_POLICIES[policy.name](policy, ratios),
        router=Router(by_asset, policy.proxy),
        modifiers=tuple(MODIFIERS[name](policy) for name in policy.modifiers),
    )
