"""The settings boundary: the configuration as plain frozen values (``bot.settings.values``), built in one place.

    config = load_config(path)                      # bot.config: read and validated once (pydantic)
    settings = settings_for(config, venue)          # bot.settings.from_config: the one place it is turned into...
    plan_cycle(settings.core, snapshot, state, now) # ...these values, all the core, the risk gate and the loop see

Defaults are written only in the configuration schema. Importing this package loads neither pydantic nor the
loader: ``bot.settings.from_config`` is imported by the composition roots (the CLI, tests) only.
"""

from bot.settings.values import (
    ApprovalSettings,
    Beta,
    CoreSettings,
    EventWindowSettings,
    ExecutionSettings,
    FundingGuardSettings,
    HoldingOverride,
    HoldingsSettings,
    ModifierName,
    PlannerParams,
    PolicyName,
    PolicySettings,
    PriceKind,
    ProxySettings,
    RiskLimits,
    Settings,
    TakeProfitSettings,
    VenueMode,
    VenueSettings,
    WatchdogSettings,
)

__all__ = [
    "ApprovalSettings",
    "Beta",
    "CoreSettings",
    "EventWindowSettings",
    "ExecutionSettings",
    "FundingGuardSettings",
    "HoldingOverride",
    "HoldingsSettings",
    "ModifierName",
    "PlannerParams",
    "PolicyName",
    "PolicySettings",
    "PriceKind",
    "ProxySettings",
    "RiskLimits",
    "Settings",
    "TakeProfitSettings",
    "VenueMode",
    "VenueSettings",
    "WatchdogSettings",
]
