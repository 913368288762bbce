"""The settings as plain frozen values: policy, hedges, holdings, planner, risk, venue and execution.

Each mirrors a section of the configuration schema (``bot.config``) without restating a default: the schema is the
one place a default is written, and ``bot.settings.from_config`` the one place that turns it into these values.
No pydantic, no loader, no I/O: the core, the risk gate and the policies import these and the domain only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Literal

from bot import limits as hard
from bot.domain import Holding, MarginMode, Rounding

Beta = Decimal | Literal["estimate"]  # a configured beta, or estimated from price history
PriceKind = Literal["mid", "last"]  # which spot price values a holding
PolicyName = Literal["fixed_ratio", "event_window"]
ModifierName = Literal["funding_guard", "take_profit"]


class VenueMode(StrEnum):
    SIM = "sim"  # the project's local exchange simulator
    TESTNET = "testnet"  # the venue's testnet (ccxt sandbox mode)
    DEMO = "demo"  # the venue's demo trading account
    LIVE = "live"  # real money


# -- the core: policy, hedges, holdings, planner ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProxySettings:
    """``[policy.proxy]``: how holdings without a usable perpetual are hedged with a liquid proxy perpetual."""

    default_instrument: str | None  # proxy for holdings with no perpetual and no [hedges] entry
    default_beta: Beta  # for holdings on default_instrument
    min_perp_depth_notional: Decimal  # a holding's own perp counts as usable only with this much book depth
    beta_lookback: int  # log returns fitted for an estimated beta
    beta_shrinkage: Decimal  # an estimated beta is pulled this far toward 1
    min_r_squared: Decimal  # an estimate explaining less of the holding's moves is refused


@dataclass(frozen=True, slots=True)
class EventWindowSettings:
    """One ``[[policy.event_window.windows]]`` entry: a period with its own hedge ratio."""

    name: str
    start: datetime
    end: datetime
    ratio: Decimal
    ramp_in: timedelta
    ramp_out: timedelta
    assets: tuple[str, ...]  # empty: every holding


@dataclass(frozen=True, slots=True)
class FundingGuardSettings:
    max_annual_cost: Decimal  # above this yearly funding cost (a fraction of notional) the hedge is scaled down...
    floor: Decimal  # ...never below this fraction of its target


@dataclass(frozen=True, slots=True)
class TakeProfitSettings:
    trigger_drop: Decimal  # a fall of this fraction from the hedge's build price takes profit...
    close_fraction: Decimal  # ...closing this fraction of the hedge...
    rearm_recovery: Decimal  # ...until the price recovers this fraction from the low


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """``[policy]``: the base ratio policy, its modifiers in order, and their parameters."""

    name: PolicyName
    ratio: Decimal
    modifiers: tuple[ModifierName, ...]
    proxy: ProxySettings
    windows: tuple[EventWindowSettings, ...]
    funding_guard: FundingGuardSettings
    take_profit: TakeProfitSettings


@dataclass(frozen=True, slots=True)
class HoldingOverride:
    """One holding's own settings (``[hedges.ASSET]``). A holding without one follows the policy."""

    asset: str
    ratio: Decimal | None  # None: the policy's ratio
    instrument: str | None  # direct hedge on this perpetual
    proxy: str | None  # proxy hedge on this perpetual
    beta: Beta  # for the proxy
    enabled: bool


@dataclass(frozen=True, slots=True)
class HoldingsSettings:
    """``[holdings]``: which balances count as holdings, which do not, and how they are priced."""

    wallet_venues: frozenset[str]  # venues whose spot wallet counts
    static: tuple[Holding, ...]  # holdings kept off the exchange, as listed
    exclude: frozenset[str]  # assets never hedged
    price_kind: PriceKind
    vanished_confirm: timedelta  # a hedged wallet coin missing this long counts as gone (bot.execution.vanished)
    # With hedges on several venues, each venue's desk (``bot.settings.from_config.desks_for``) counts only the
    # holdings it hedges: those whose [hedges] entry names it (``only``), or on the default venue every holding but
    # those whose entry names another venue (``elsewhere``). One venue: None and empty, every holding counts.
    only: frozenset[str] | None = None
    elsewhere: frozenset[str] = frozenset()

    @property
    def shared(self) -> bool:
        """Whether other venues' desks hedge part of the holdings (hedges on several venues)."""
        return self.only is not None or bool(self.elsewhere)

    def hedged_here(self, asset: str) -> bool:
        """Whether this venue's desk hedges ``asset`` (another venue's desk hedges it otherwise)."""
        return (self.only is None or asset in self.only) and asset not in self.elsewhere


@dataclass(frozen=True, slots=True)
class PlannerParams:
    """The planner's settings (``[execution]`` and ``[risk]``)."""

    band: Decimal  # act when the uncovered gap exceeds this fraction of the target...
    hysteresis: Decimal  # ...and, once acting, until it is within band x hysteresis
    min_notional: Decimal  # gaps worth less than this (quote currency) are left alone
    rounding: Rounding  # how the target is rounded onto the lot step
    passive_offset_ticks: int  # sells this many ticks above the best ask, buys below the best bid
    reprice_threshold_bps: Decimal  # re-price a resting order when the touch moved more than this
    order_ttl: timedelta  # ...or when it is older than this
    max_reprices_per_minute: int  # resting orders cancelled and replaced, per instrument
    max_order_notional: Decimal  # per order: min(execution.slice_max_notional, risk.max_order_notional)
    max_depth_share: Decimal  # our resting orders on a side: at most this share of its depth
    max_hedge_ratio: Decimal  # the short never exceeds full_contracts x this
    max_data_age: timedelta  # older prices, books and tickers are not traded on


@dataclass(frozen=True, slots=True)
class CoreSettings:
    """Everything one cycle's decision depends on besides the snapshot, the state and the time."""

    policy: PolicySettings
    hedges: Mapping[str, HoldingOverride]  # by asset
    planner: PlannerParams
    holdings: HoldingsSettings


# -- the risk gate --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """One value per ``[risk]`` key the gate enforces; names match the configuration so denial messages name the
    key. The software's hard caps apply on top, however the value was built (configuration, test, replay)."""

    max_leverage: Decimal
    max_order_notional: Decimal
    max_total_hedge_notional: Decimal
    max_hedge_ratio: Decimal
    max_orders_per_minute: int
    max_price_deviation_bps: Decimal
    max_data_age: timedelta
    min_liquidation_distance: Decimal
    max_daily_turnover: Decimal
    max_daily_funding_cost: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "max_leverage", min(self.max_leverage, hard.MAX_LEVERAGE))
        object.__setattr__(self, "max_hedge_ratio", min(self.max_hedge_ratio, hard.MAX_HEDGE_RATIO))

    def daily_funding_reached(self, cost_today: Decimal) -> bool:
        """Net funding paid today has reached the limit (with a limit of 0: as soon as any is paid)."""
        return cost_today > 0 and cost_today >= self.max_daily_funding_cost


# -- one venue's run ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VenueSettings:
    """``[venues.NAME]`` (credentials apart): which exchange, in which mode, reached how."""

    name: str
    exchange: str  # a row of the venue quirks table
    mode: VenueMode
    url: str | None  # the simulator's base URL (mode sim only)
    timeout_seconds: Decimal
    client_rate_limit: bool  # ccxt paces requests by the venue's published costs
    options: Mapping[str, str | int | float | bool]  # passed to ccxt as they are
    allow_withdrawal_key: bool  # unattended, accept a key that can withdraw or transfer (or whose rights are unknown)


@dataclass(frozen=True, slots=True)
class ExecutionSettings:
    """What the loop and the executor need from ``[execution]``."""

    leverage: Decimal  # set and kept on every hedge instrument
    margin_mode: MarginMode
    interval: timedelta  # between cycles
    passive_offset_ticks: int  # a re-priced order rests this many ticks behind the touch
    max_post_only_retries_per_minute: int  # fresh-book re-prices after a post-only refusal, per instrument
    max_order_age: timedelta  # our resting orders older than this are cancelled, whatever the planner holds
    max_outage: timedelta  # risk.max_outage: unreadable this long, the venue's resting orders of ours are cancelled


@dataclass(frozen=True, slots=True)
class ApprovalSettings:
    """``[approval]``: how long a person's answer may take, and what an answer still covers when it comes."""

    timeout: timedelta  # an unanswered prompt means no
    max_plan_age: timedelta  # an approval of an older plan is not sent: the cycle is planned and shown again
    max_price_move_bps: Decimal  # ...and so is one after the mark moved more; an approved order's re-prices
    # within this of its shown price need no new answer


@dataclass(frozen=True, slots=True)
class WatchdogSettings:
    """``[watchdog]``: orders never outlive the bot (its heartbeat, the venue's own switch)."""

    window: timedelta  # the heartbeat's window: the venue's switch fires this long after the last beat
    exchange_switch: bool  # arm the venue's own dead-man's switch where it has one


@dataclass(frozen=True, slots=True)
class Settings:
    """One run on one venue (a desk, when hedges trade on several): everything the loop, the executor and the exchange
    adapter take from the configuration."""

    venue: VenueSettings
    core: CoreSettings
    risk: RiskLimits
    execution: ExecutionSettings
    watchdog: WatchdogSettings
    approval: ApprovalSettings
    kill_switch_file: Path
    config_hash: str  # names the configuration a run used (journaled with the run)
    # the other venues whose spot wallets count (holdings.venues): read only, never traded on
    wallet_venues: tuple[VenueSettings, ...] = ()
