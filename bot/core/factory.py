"""Build the core's pieces from the configuration, as plain values: the policy, planner settings, holdings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.config import AppConfig
from bot.core.planner.params import PlannerParams
from bot.core.valuation import PriceKind, static_holding
from bot.domain import Holding
from policies.base import HoldingOverride
from policies.hedge_policy import HedgePolicy
from policies.registry import build_policy


@dataclass(frozen=True, slots=True)
class CoreSettings:
    """Everything one cycle's decision depends on besides the snapshot, the state and the time."""

    policy: HedgePolicy
    params: PlannerParams
    exclude: frozenset[str]
    price_kind: PriceKind


def core_settings(config: AppConfig) -> CoreSettings:
    return CoreSettings(
        policy=policy_from_config(config),
        params=planner_params(config),
        exclude=frozenset(config.holdings.exclude),
        price_kind=config.holdings.price,
    )


def policy_from_config(config: AppConfig) -> HedgePolicy:
    """``[policy]`` composed with every ``[hedges.ASSET]`` table as a per-holding override."""
    overrides = [
        HoldingOverride(
            asset=asset,
            ratio=hedge.ratio,
            instrument=hedge.instrument,
            proxy=hedge.proxy,
            beta=hedge.beta,
            enabled=hedge.enabled,
        )
        for asset, hedge in config.hedges.items()
    ]
    return build_policy(config.policy, overrides)


def planner_params(config: AppConfig) -> PlannerParams:
    execution, risk = config.execution, config.risk
    return PlannerParams(
        band=execution.band,
        hysteresis=execution.hysteresis,
        min_notional=execution.min_notional,
        rounding=execution.rounding,
        passive_offset_ticks=execution.passive_offset_ticks,
        reprice_threshold_bps=execution.reprice_threshold_bps,
        order_ttl=execution.order_ttl,
        max_reprices_per_minute=execution.max_reprices_per_minute,
        max_order_notional=min(execution.slice_max_notional, risk.max_order_notional),
        max_depth_share=execution.slice_max_depth_share,
        max_hedge_ratio=risk.max_hedge_ratio,
        max_data_age=risk.max_data_age,
    )


def instruments_to_read(config: AppConfig, assets: Iterable[str], managed: Iterable[str] = ()) -> frozenset[str]:
    """The perpetuals a snapshot needs tickers, books and positions for, before knowing which are listed.

    Every instrument the settings name, the own ``<ASSET>/USDT:USDT`` of each asset whose hedge is not configured
    (excluded and disabled assets aside), and the instruments the planner still manages (``PlannerState.managed``).
    The reader skips the ones not listed.
    """
    hedged = [asset for asset in assets if asset not in config.holdings.exclude]
    return policy_from_config(config).instruments(hedged) | frozenset(managed)


def static_holdings(config: AppConfig) -> tuple[Holding, ...]:
    """The configuration's off-exchange holdings (``[[holdings.static]]``)."""
    return tuple(static_holding(s.asset, s.quantity, s.label) for s in config.holdings.static)
