"""Configuration: a TOML file plus ``HEDGEBOT_`` environment overrides, validated at load with actionable errors.

Precedence, highest first: environment variables (``HEDGEBOT_RISK__MAX_ORDER_NOTIONAL=500``; ``__`` nests),
then the TOML file, then defaults. API keys never live in the config file: each venue names a credential set,
read from the environment (``<NAME>_API_KEY``, ``<NAME>_API_SECRET``, ``<NAME>_PASSPHRASE``) or from a separate
secrets file. Every problem is reported at once as ``ConfigError`` with the key's path.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, PrivateAttr, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from bot import limits
from bot.alerts.config import AlertsConfig, check_alerts, resolve_destinations
from bot.alerts.settings import Destination
from bot.config_env import attribute_to_environment, environment_problems
from bot.config_errors import format_validation_error
from bot.config_policy import PolicyConfig
from bot.config_types import (
    Asset,
    Count,
    FilePath,
    Fraction,
    HedgeRatio,
    HttpUrl,
    Leverage,
    Name,
    NonNegativeDecimal,
    OptionValue,
    PerpSymbol,
    PositiveDecimal,
    PositiveDuration,
    StrictModel,
)
from bot.credentials import CredentialNeed, Credentials, read_secrets_file, resolve_credentials
from bot.domain import MarginMode, Rounding
from bot.errors import ConfigError
from bot.exchange.quirks import QUIRKS
from bot.settings import VenueMode

ENV_HELP = "HEDGEBOT_<SECTION>__<KEY>, e.g. HEDGEBOT_RISK__MAX_ORDER_NOTIONAL=500"
# A shorter watchdog window would have the bot's heartbeat (every window / 4) compete with its trading.
MIN_WATCHDOG_WINDOW = timedelta(seconds=2)

__all__ = ["AppConfig", "Credentials", "VenueMode", "load_config", "parse_config"]

# The environment a load validates against (the process environment unless a caller passes its own).
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("hedgebot_config_environ", default=None)


def _exchange(value: str) -> str:
    """One of the venues the quirks table has a row for (``bot.exchange.quirks.QUIRKS``)."""
    if value not in QUIRKS:
        raise ValueError(f"unsupported exchange: choose one of {', '.join(repr(name) for name in QUIRKS)}")
    return value


Exchange = Annotated[str, AfterValidator(_exchange)]


class VenueConfig(StrictModel):
    exchange: Exchange
    mode: VenueMode
    credentials: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    url: HttpUrl | None = None  # base URL of the simulator (mode "sim" only)
    timeout_seconds: PositiveDecimal = Field(default=Decimal(10), ge=Decimal("0.1"), le=300)
    # ccxt's client-side pacing of requests by the venue's published costs. Only mode "sim" may turn it off.
    client_rate_limit: bool = True
    options: dict[str, OptionValue] = Field(default_factory=dict)
    # Unattended (approval "auto"), a key that can withdraw or transfer funds is refused, and so is a live key whose
    # permissions cannot be read, unless this says the operator accepts it (bot.execution.keys).
    allow_withdrawal_key: bool = False


class StaticHolding(StrictModel):
    asset: Asset
    quantity: PositiveDecimal
    label: str = "off-exchange"


class HoldingsConfig(StrictModel):
    venues: list[str] = Field(default_factory=list)  # venues whose spot wallet is read
    static: list[StaticHolding] = Field(default_factory=list)
    exclude: list[Asset] = Field(default_factory=lambda: ["USDT", "USDC"])
    price: Literal["mid", "last"] = "mid"
    # How long a hedged coin must be missing from its wallet's replies before it counts as sold or moved and its
    # hedge follows the wallet (until then the hedge is held: a reply can lose a row). bot.execution.vanished
    vanished_confirm: PositiveDuration = timedelta(minutes=30)


class HedgeConfig(StrictModel):
    """How one holding is hedged: its own perpetual (direct) or a correlated one (proxy)."""

    # The venue trading this hedge: required when several are configured. `hedgebot run` trades every venue a hedge
    # names, each asset on its own venue's desk (bot.settings.from_config.desks_for, bot.execution.desks); holdings
    # are read from every venue in holdings.venues (bot.execution.wallets) whichever venue trades.
    venue: str | None = None
    instrument: PerpSymbol | None = None  # direct hedge; default <ASSET>/USDT:USDT
    proxy: PerpSymbol | None = None
    beta: PositiveDecimal | Literal["estimate"] = Decimal(1)
    ratio: HedgeRatio | None = None  # overrides policy.ratio for this holding
    enabled: bool = True


class ExecutionConfig(StrictModel):
    leverage: Leverage = Decimal(1)
    margin_mode: MarginMode = MarginMode.ISOLATED
    interval: PositiveDuration = timedelta(seconds=30)
    band: Fraction = Decimal("0.05")
    hysteresis: Fraction = Decimal("0.5")
    min_notional: NonNegativeDecimal = Decimal(10)
    rounding: Rounding = Rounding.DOWN
    passive_offset_ticks: Count = Field(default=0, ge=0, le=1000)
    reprice_threshold_bps: NonNegativeDecimal = Decimal(5)
    order_ttl: PositiveDuration = timedelta(seconds=120)
    max_order_age: PositiveDuration = timedelta(minutes=30)
    max_reprices_per_minute: Count = Field(default=6, ge=1, le=120)  # resting orders cancelled and replaced
    max_post_only_retries_per_minute: Count = Field(default=6, ge=1, le=120)  # fresh books after a post-only refusal
    slice_max_notional: PositiveDecimal = Decimal(2000)
    slice_max_depth_share: Fraction = Decimal("0.25")
    dry_run: bool = False  # trade on paper against the venue's live market (bot.paper); also `--dry-run`


class RiskConfig(StrictModel):
    max_leverage: Leverage = limits.MAX_LEVERAGE
    max_order_notional: PositiveDecimal = Decimal(5000)
    max_total_hedge_notional: PositiveDecimal = Decimal(50000)
    max_hedge_ratio: HedgeRatio = Decimal(1)
    max_orders_per_minute: Count = Field(default=20, ge=1, le=600)
    max_price_deviation_bps: PositiveDecimal = Decimal(100)
    max_data_age: PositiveDuration = timedelta(seconds=15)
    max_outage: PositiveDuration = timedelta(minutes=5)
    min_liquidation_distance: Fraction = Decimal("0.30")
    max_daily_turnover: PositiveDecimal = Decimal(100000)
    max_daily_funding_cost: NonNegativeDecimal = Decimal(100)
    kill_switch_file: FilePath = Path("hedgebot.halt")


class ApprovalConfig(StrictModel):
    mode: Literal["ask", "auto"] = "ask"
    timeout: PositiveDuration = timedelta(seconds=120)
    max_plan_age: PositiveDuration = timedelta(seconds=60)  # an older plan is planned and shown again, never sent
    max_price_move_bps: PositiveDecimal = Decimal(50)  # a bigger move since it was shown re-plans; bounds re-prices


class WatchdogConfig(StrictModel):
    """Orders never outlive the bot: its heartbeat, the venue's own switch and `hedgebot watchdog`."""

    window: PositiveDuration = timedelta(minutes=2)
    exchange_switch: bool = True


class JournalConfig(StrictModel):
    path: FilePath = Path("hedgebot-journal.sqlite")


class LoggingConfig(StrictModel):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "console"] = "auto"


class AppConfig(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HEDGEBOT_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    venues: dict[Name, VenueConfig]
    holdings: HoldingsConfig = Field(default_factory=HoldingsConfig)
    hedges: dict[Asset, HedgeConfig] = Field(default_factory=dict)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    approval: ApprovalConfig = Field(default_factory=ApprovalConfig)
    watchdog: WatchdogConfig = Field(default_factory=WatchdogConfig)
    journal: JournalConfig = Field(default_factory=JournalConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    secrets_file: FilePath | None = None

    _credentials: dict[str, Credentials] = PrivateAttr(default_factory=dict)
    _alert_destinations: tuple[Destination, ...] = PrivateAttr(default=())
    _source: Path | None = PrivateAttr(default=None)
    _base_dir: Path | None = PrivateAttr(default=None)  # where a relative secrets_file is found
    _secrets_read: bool = PrivateAttr(default=False)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides the file; the file's values arrive as init arguments.
        environ = _ENVIRON.get()
        if environ is not None and isinstance(env_settings, EnvSettingsSource):
            env_settings.env_vars = {key.lower(): value for key, value in environ.items()}
        return (env_settings, init_settings)

    def credentials(self, venue: str) -> Credentials:
        self._require_secrets()
        return self._credentials[venue]

    def alert_destinations(self) -> tuple[Destination, ...]:
        """``[alerts.destinations]`` with their secrets resolved, in the configured order."""
        self._require_secrets()
        return self._alert_destinations

    def _require_secrets(self) -> None:
        if not self._secrets_read:  # a command that uses secrets loads them (load_config(..., secrets=True))
            raise LookupError("the configuration was loaded without its secrets: load it with secrets=True")

    @property
    def source(self) -> Path | None:
        return self._source

    def hedge_for(self, asset: str) -> HedgeConfig:
        return self.hedges.get(asset, HedgeConfig())

    def masked_dump(self) -> dict[str, Any]:
        """The effective configuration as plain data, with credentials shown only as where they come from."""
        data = self.model_dump(mode="json")
        data["credentials"] = {
            name: {
                "source": creds.source,
                "api_key": str(creds.api_key),
                "secret": str(creds.secret),
                "passphrase": None if creds.passphrase is None else str(creds.passphrase),
            }
            for name, creds in self._credentials.items()
        }
        data["alert_secrets"] = {destination.name: destination.source for destination in self._alert_destinations}
        return data


def load_config(path: Path | str, env: Mapping[str, str] | None = None, *, secrets: bool = True) -> AppConfig:
    """Read, validate and cross-check a configuration file. Raises ``ConfigError`` listing every problem.

    ``secrets``: also resolve the venues' credentials and the alert destinations' secrets (a missing one is a
    problem); only the commands that use them ask (run, unwind, status, plan against a venue, watchdog,
    alert-test), so a replay or scenario works on a machine without the keys.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([(str(path), "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([(str(path), f"cannot read the file: {exc}")]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([(str(path), f"not valid TOML: {exc}")]) from exc
    config = parse_config(data, env=env, base_dir=path.parent, secrets=secrets)
    config._source = path
    return config


def parse_config(
    data: Mapping[str, Any], env: Mapping[str, str] | None = None, base_dir: Path | None = None, *, secrets: bool = True
) -> AppConfig:
    """Validate configuration data (as read from TOML) together with the environment (secrets: see load_config)."""
    environ = dict(os.environ if env is None else env)
    _reject_inline_secrets(data)
    if problems := environment_problems(AppConfig, environ, data):
        raise ConfigError(problems)
    token = _ENVIRON.set(environ)
    try:
        config = AppConfig(**data)
    except ValidationError as exc:
        raise ConfigError(attribute_to_environment(format_validation_error(exc, AppConfig), environ)) from None
    except SettingsError as exc:  # an environment value pydantic-settings could not read (never a traceback)
        raise ConfigError([("environment", f"{exc}; see {ENV_HELP}")]) from None
    finally:
        _ENVIRON.reset(token)
    config._base_dir = base_dir
    problems = cross_check(config)
    if secrets:
        problems.extend(secret_problems(config, environ))
    if problems:
        raise ConfigError(attribute_to_environment(problems, environ))
    return config


def secret_problems(config: AppConfig, env: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """Resolve the configuration's secrets (venue credentials, alert destinations) from the environment and
    ``secrets_file``; (key path, message) for each that cannot be found. Without problems the configuration
    holds them from then on (and the logs redact them)."""
    environ = dict(os.environ if env is None else env)
    secrets, secrets_file_problems = read_secrets_file(config.secrets_file, config._base_dir)
    needs = {
        name: CredentialNeed(venue.credentials, venue.mode is VenueMode.SIM, QUIRKS[venue.exchange].passphrase)
        for name, venue in config.venues.items()
    }
    credentials, credential_problems = resolve_credentials(needs, environ, secrets)
    destinations, destination_problems = resolve_destinations(config.alerts, environ, secrets)
    problems = [*secrets_file_problems, *credential_problems, *destination_problems]
    if problems:
        return problems
    config._credentials = credentials
    config._alert_destinations = destinations
    config._secrets_read = True
    from bot.logging import register_secrets

    for creds in credentials.values():
        register_secrets(creds.secret_values())
    for destination in destinations:
        register_secrets(destination.secret_values())
    return []


def require_secrets(config: AppConfig) -> None:
    """Resolve the configuration's secrets, or raise ``ConfigError`` naming every one missing (exit 2)."""
    if problems := secret_problems(config):
        raise ConfigError(attribute_to_environment(problems, dict(os.environ)))


_SECRET_KEYS = {"api_key", "apikey", "secret", "api_secret", "password", "passphrase", "private_key"}


def _reject_inline_secrets(data: Mapping[str, Any], path: str = "") -> None:
    problems: list[tuple[str, str]] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                here = f"{where}.{key}" if where else str(key)
                if str(key).lower() in _SECRET_KEYS:
                    problems.append(
                        (
                            here,
                            "API keys and secrets are never read from the config file; set "
                            '`credentials = "NAME"` on the venue and export NAME_API_KEY / NAME_API_SECRET '
                            "(or use secrets_file)",
                        )
                    )
                else:
                    walk(value, here)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{where}[{index}]")

    walk(data, path)
    if problems:
        raise ConfigError(problems)


def cross_check(config: AppConfig) -> list[tuple[str, str]]:
    """Rules that involve more than one key. Returns (key path, message) pairs."""
    problems: list[tuple[str, str]] = []
    venues = config.venues
    if not venues:
        problems.append(("venues", "at least one venue is required, e.g. [venues.bybit]"))
    for name, venue in venues.items():
        if venue.mode is VenueMode.SIM and not venue.url:
            problems.append((f"venues.{name}.url", "mode 'sim' needs the simulator's url, e.g. http://127.0.0.1:8765"))
        if venue.mode is not VenueMode.SIM and venue.url:
            problems.append((f"venues.{name}.url", "url is only for mode 'sim'; real venues use ccxt's own URLs"))
        if venue.mode is not VenueMode.SIM and not venue.client_rate_limit:
            problems.append(
                (f"venues.{name}.client_rate_limit", "may be turned off only against the simulator (mode 'sim')")
            )
        if venue.mode is not VenueMode.SIM and not venue.credentials:
            problems.append((f"venues.{name}.credentials", f"mode '{venue.mode}' needs a credential set name"))
    for index, name in enumerate(config.holdings.venues):
        if name not in venues:
            problems.append((f"holdings.venues[{index}]", _unknown_venue(name, venues)))
    for asset, hedge in config.hedges.items():
        where = f"hedges.{asset}"
        if hedge.venue is not None and hedge.venue not in venues:
            problems.append((f"{where}.venue", _unknown_venue(hedge.venue, venues)))
        if hedge.venue is None and len(venues) > 1:
            problems.append((f"{where}.venue", "several venues are configured: say which one hedges this holding"))
        if hedge.instrument and hedge.proxy:
            problems.append((where, "set either instrument (direct hedge) or proxy, not both"))
        if hedge.beta != Decimal(1) and not hedge.proxy:
            problems.append((f"{where}.beta", 'beta applies to proxy hedges only; add proxy = "BTC/USDT:USDT"'))
        if hedge.ratio is not None and hedge.ratio > config.risk.max_hedge_ratio:
            problems.append((f"{where}.ratio", _above_max_ratio(hedge.ratio, config)))
    if config.policy.ratio > config.risk.max_hedge_ratio:
        problems.append(("policy.ratio", _above_max_ratio(config.policy.ratio, config)))
    for index, window in enumerate(config.policy.event_window.windows):
        if window.ratio > config.risk.max_hedge_ratio:
            problems.append((f"policy.event_window.windows[{index}].ratio", _above_max_ratio(window.ratio, config)))
    if config.execution.leverage > config.risk.max_leverage:
        problems.append(
            (
                "execution.leverage",
                f"{config.execution.leverage} is above risk.max_leverage = {config.risk.max_leverage}",
            )
        )
    if config.execution.max_order_age <= config.execution.order_ttl:
        problems.append(
            (
                "execution.max_order_age",
                f"must be longer than execution.order_ttl ({config.execution.order_ttl}): orders are re-priced at "
                "order_ttl; max_order_age cancels those the planner could not re-price",
            )
        )
    if config.watchdog.window < MIN_WATCHDOG_WINDOW:
        problems.append(("watchdog.window", f"must be at least {MIN_WATCHDOG_WINDOW.total_seconds():.0f}s"))
    if config.execution.min_notional > config.risk.max_order_notional:
        problems.append(("execution.min_notional", "is above risk.max_order_notional: nothing could ever be ordered"))
    problems.extend(check_alerts(config.alerts))
    return problems


def _unknown_venue(name: str, venues: Mapping[str, VenueConfig]) -> str:
    known = ", ".join(sorted(venues)) or "none"
    return f"venue {name!r} is not configured under [venues] (configured: {known})"


def _above_max_ratio(ratio: Decimal, config: AppConfig) -> str:
    return f"{ratio} is above risk.max_hedge_ratio = {config.risk.max_hedge_ratio}"
