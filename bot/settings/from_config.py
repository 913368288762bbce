"""The one place the validated configuration (``bot.config``) becomes plain settings (``bot.settings``).

Every default lives in the configuration schema; these functions copy values across and restate none. The
composition roots (the CLI, the end-to-end harness) call ``settings_for`` once per run; tests build parts of it
from schema sections (``planner_params(ExecutionConfig(), RiskConfig())`` is the planner's defaults).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

from bot.config import AppConfig, ExecutionConfig, HedgeConfig, HoldingsConfig, RiskConfig, VenueConfig
from bot.config_policy import EventWindow, PolicyConfig, ProxyParams
from bot.core.valuation import static_holding
from bot.errors import ConfigError
from bot.settings.values import (
    ApprovalSettings,
    CoreSettings,
    EventWindowSettings,
    ExecutionSettings,
    FundingGuardSettings,
    HoldingOverride,
    HoldingsSettings,
    PlannerParams,
    PolicySettings,
    ProxySettings,
    RiskLimits,
    Settings,
    TakeProfitSettings,
    VenueSettings,
    WatchdogSettings,
)


def settings_for(config: AppConfig, venue: str) -> Settings:
    """Everything a run on ``venue`` alone takes from ``config`` (a replay, the watchdog). Raises ``ConfigError``
    for a hedge configured on another venue: a run of one venue refuses it rather than trade it on the wrong venue
    or silently drop it (`hedgebot run` trades every venue at once: ``desks_for``)."""
    elsewhere = [
        (f"hedges.{asset}.venue", _other_venue(hedge.venue, venue))
        for asset, hedge in config.hedges.items()
        if hedge.venue is not None and hedge.venue != venue
    ]
    if elsewhere:
        raise ConfigError(elsewhere)
    return _settings(config, venue, core_settings(config))


def trading_venues(config: AppConfig, default: str) -> tuple[str, ...]:
    """The venues hedges trade on: ``default`` (for holdings whose hedge names no venue), then every other venue a
    ``hedges.ASSET.venue`` names."""
    named = {hedge.venue for hedge in config.hedges.values() if hedge.venue is not None} - {default}
    return (default, *sorted(named))


def desks_for(config: AppConfig, default: str) -> tuple[Settings, ...]:
    """One ``Settings`` per trading venue (``trading_venues``), each a desk of the one portfolio: it counts and hedges
    only the holdings routed to it (``HoldingsSettings.only`` / ``elsewhere``), so each asset is hedged on one
    instrument of one venue, never twice; the default venue also takes ``policy.proxy.default_instrument``."""
    venues = trading_venues(config, default)
    if len(venues) == 1:
        return (_settings(config, default, core_settings(config)),)
    core = core_settings(config)
    routed = {asset: hedge.venue or default for asset, hedge in config.hedges.items()}
    desks = []
    for venue in venues:
        here = frozenset(asset for asset, named in routed.items() if named == venue)
        holdings = replace(
            core.holdings,
            only=None if venue == default else here,
            elsewhere=frozenset(routed) - here if venue == default else frozenset(),
        )
        policy = core.policy
        if venue != default:
            policy = replace(policy, proxy=replace(policy.proxy, default_instrument=None))
        hedges = {asset: hedge for asset, hedge in core.hedges.items() if asset in here}
        desks.append(_settings(config, venue, replace(core, policy=policy, hedges=hedges, holdings=holdings)))
    return tuple(desks)


def _settings(config: AppConfig, venue: str, core: CoreSettings) -> Settings:
    execution = config.execution
    return Settings(
        venue=venue_settings(venue, config.venues[venue]),
        core=core,
        risk=risk_limits(config.risk),
        execution=ExecutionSettings(
            leverage=execution.leverage,
            margin_mode=execution.margin_mode,
            interval=execution.interval,
            passive_offset_ticks=execution.passive_offset_ticks,
            max_post_only_retries_per_minute=execution.max_post_only_retries_per_minute,
            max_order_age=execution.max_order_age,
            max_outage=config.risk.max_outage,
        ),
        watchdog=WatchdogSettings(config.watchdog.window, config.watchdog.exchange_switch),
        approval=ApprovalSettings(
            config.approval.timeout, config.approval.max_plan_age, config.approval.max_price_move_bps
        ),
        kill_switch_file=config.risk.kill_switch_file,
        config_hash=config_hash(config),
        wallet_venues=tuple(
            venue_settings(name, config.venues[name]) for name in config.holdings.venues if name != venue
        ),
    )


def core_settings(config: AppConfig) -> CoreSettings:
    """What one cycle's decision needs: the policy, the per-holding overrides, the planner and the holdings."""
    return CoreSettings(
        policy=policy_settings(config.policy),
        hedges={asset: hedge_settings(asset, hedge) for asset, hedge in config.hedges.items()},
        planner=planner_params(config.execution, config.risk),
        holdings=holdings_settings(config.holdings),
    )


def policy_settings(policy: PolicyConfig) -> PolicySettings:
    return PolicySettings(
        name=policy.name,
        ratio=policy.ratio,
        modifiers=tuple(policy.modifiers),
        proxy=proxy_settings(policy.proxy),
        windows=tuple(window_settings(window) for window in policy.event_window.windows),
        funding_guard=FundingGuardSettings(policy.funding_guard.max_annual_cost, policy.funding_guard.floor),
        take_profit=TakeProfitSettings(
            policy.take_profit.trigger_drop, policy.take_profit.close_fraction, policy.take_profit.rearm_recovery
        ),
    )


def proxy_settings(proxy: ProxyParams) -> ProxySettings:
    return ProxySettings(
        default_instrument=proxy.default_instrument,
        default_beta=proxy.default_beta,
        min_perp_depth_notional=proxy.min_perp_depth_notional,
        beta_lookback=proxy.beta_lookback,
        beta_shrinkage=proxy.beta_shrinkage,
        min_r_squared=proxy.min_r_squared,
    )


def window_settings(window: EventWindow) -> EventWindowSettings:
    return EventWindowSettings(
        name=window.name,
        start=window.start,
        end=window.end,
        ratio=window.ratio,
        ramp_in=window.ramp_in,
        ramp_out=window.ramp_out,
        assets=tuple(window.assets),
    )


def hedge_settings(asset: str, hedge: HedgeConfig) -> HoldingOverride:
    """``[hedges.ASSET]`` as the policy's per-holding override."""
    return HoldingOverride(
        asset=asset,
        ratio=hedge.ratio,
        instrument=hedge.instrument,
        proxy=hedge.proxy,
        beta=hedge.beta,
        enabled=hedge.enabled,
    )


def holdings_settings(holdings: HoldingsConfig) -> HoldingsSettings:
    return HoldingsSettings(
        wallet_venues=frozenset(holdings.venues),
        static=tuple(static_holding(s.asset, s.quantity, s.label) for s in holdings.static),
        exclude=frozenset(holdings.exclude),
        price_kind=holdings.price,
        vanished_confirm=holdings.vanished_confirm,
    )


def planner_params(execution: ExecutionConfig, risk: RiskConfig) -> PlannerParams:
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


def risk_limits(risk: RiskConfig) -> RiskLimits:
    return RiskLimits(
        max_leverage=risk.max_leverage,
        max_order_notional=risk.max_order_notional,
        max_total_hedge_notional=risk.max_total_hedge_notional,
        max_hedge_ratio=risk.max_hedge_ratio,
        max_orders_per_minute=risk.max_orders_per_minute,
        max_price_deviation_bps=risk.max_price_deviation_bps,
        max_data_age=risk.max_data_age,
        min_liquidation_distance=risk.min_liquidation_distance,
        max_daily_turnover=risk.max_daily_turnover,
        max_daily_funding_cost=risk.max_daily_funding_cost,
    )


def venue_settings(name: str, venue: VenueConfig) -> VenueSettings:
    return VenueSettings(
        name=name,
        exchange=venue.exchange,
        mode=venue.mode,
        url=venue.url,
        timeout_seconds=venue.timeout_seconds,
        client_rate_limit=venue.client_rate_limit,
        options=dict(venue.options),
        allow_withdrawal_key=venue.allow_withdrawal_key,
    )


def journal_path(config: AppConfig) -> Path:
    """``[journal] path``; a relative path is relative to the configuration file's folder (like secrets_file)."""
    path = config.journal.path
    if path.is_absolute() or config.source is None:
        return path
    return config.source.parent / path


def config_hash(config: AppConfig) -> str:
    """A short digest of the effective configuration, journaled with each run."""
    return hashlib.sha256(json.dumps(config.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:16]


def _other_venue(named: str, trading: str) -> str:
    return (
        f"names venue {named!r}, but this command uses {trading!r} alone: run it on {named!r} (--venue {named}), "
        "or remove the key"
    )
