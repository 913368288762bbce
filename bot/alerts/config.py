"""The ``[alerts]`` configuration section, and its destinations' secrets resolved like API credentials.

A destination names a credential set, never a URL or token: ``credentials = "OPS"`` reads ``OPS_URL`` (webhook,
discord, slack, apprise) or ``OPS_BOT_TOKEN`` and ``OPS_CHAT_ID`` (telegram) from the environment, else from the
secrets file's ``[OPS]`` table (``url``, ``bot_token``, ``chat_id``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, time, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, SecretStr, model_validator

from bot.alerts.apprise_sender import INSTALL_HINT, apprise_installed, apprise_understands
from bot.alerts.events import Severity
from bot.alerts.settings import Destination, DestinationKind
from bot.config_types import Count, Fraction, HttpUrl, Name, NonNegativeDecimal, PositiveDuration, StrictModel
from bot.credentials import SecretsFile, read_secret_set

TELEGRAM_API_URL = "https://api.telegram.org"
_SECRET_FIELDS = {
    DestinationKind.WEBHOOK: ("url",),
    DestinationKind.DISCORD: ("url",),
    DestinationKind.SLACK: ("url",),
    DestinationKind.APPRISE: ("url",),
    DestinationKind.TELEGRAM: ("bot_token", "chat_id"),
}
_INLINE_SECRETS = ("url", "webhook_url", "token", "bot_token", "chat_id")
_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _time_of_day(value: object) -> object:
    """ "HH:MM" (UTC) as text, or a TOML time of day without seconds and without another time zone."""
    if isinstance(value, str):
        match = _HH_MM.match(value.strip())
        if not match:
            raise ValueError(f'{value!r} is not a time of day: write "HH:MM" in UTC, e.g. "08:00"')
        return time(int(match.group(1)), int(match.group(2)), tzinfo=UTC)
    if isinstance(value, time):
        if value.utcoffset() not in (None, UTC.utcoffset(None)):
            raise ValueError('times of day are in UTC: write "HH:MM" without a time zone')
        if value.second or value.microsecond:
            raise ValueError('write the time of day to the minute, "HH:MM" in UTC')
        return value.replace(tzinfo=UTC)
    raise ValueError(f'{value!r} is not a time of day: write "HH:MM" in UTC, e.g. "08:00"')


TimeOfDay = Annotated[time, BeforeValidator(_time_of_day)]


class AlertDestinationConfig(StrictModel):
    kind: DestinationKind
    credentials: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    api_url: HttpUrl | None = None  # telegram only: another Bot API server

    @model_validator(mode="before")
    @classmethod
    def _no_inline_secrets(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and (found := [key for key in _INLINE_SECRETS if key in data]):
            raise ValueError(
                f"{found[0]!r}: webhook URLs, bot tokens and chat ids are secrets and never read from the config "
                'file; set credentials = "NAME" and export NAME_URL (or NAME_BOT_TOKEN and NAME_CHAT_ID for '
                "telegram), or put them in the secrets_file's [NAME] table"
            )
        return data


class AlertsConfig(StrictModel):
    enabled: bool = True
    min_severity: Severity = Severity.INFO
    daily_summary_time: TimeOfDay | None = None
    destinations: dict[Name, AlertDestinationConfig] = Field(default_factory=dict)
    liquidation_distance_warning: Fraction = Decimal("0.40")
    margin_ratio_warning: Fraction = Decimal("0.50")
    funding_cost_per_day_warning: NonNegativeDecimal = Decimal(50)
    rejects_in_a_row: Count = Field(default=3, ge=1, le=100)
    rejects_window: PositiveDuration = timedelta(hours=1)


def check_alerts(alerts: AlertsConfig) -> list[tuple[str, str]]:
    """Rules involving more than one key of ``[alerts]``."""
    problems: list[tuple[str, str]] = []
    if alerts.daily_summary_time is not None and alerts.min_severity > Severity.INFO:
        problems.append(
            (
                "alerts.daily_summary_time",
                f"the daily summary is an info alert, and alerts.min_severity = {alerts.min_severity.value!r} "
                'would hold it back: set min_severity = "info" or remove daily_summary_time',
            )
        )
    for name, destination in alerts.destinations.items():
        if destination.api_url is not None and destination.kind is not DestinationKind.TELEGRAM:
            problems.append((f"alerts.destinations.{name}.api_url", "is for kind 'telegram' only"))
        if destination.kind is DestinationKind.APPRISE and not apprise_installed():
            problems.append((f"alerts.destinations.{name}.kind", INSTALL_HINT))
    return problems


def resolve_destinations(
    alerts: AlertsConfig, environ: Mapping[str, str], secrets: SecretsFile
) -> tuple[tuple[Destination, ...], list[tuple[str, str]]]:
    """Each destination with its secrets, or a problem naming the variables to set (never their values)."""
    resolved: list[Destination] = []
    problems: list[tuple[str, str]] = []
    for name, config in alerts.destinations.items():
        where = f"alerts.destinations.{name}.credentials"
        found = read_secret_set(config.credentials, _SECRET_FIELDS[config.kind], environ, secrets)
        if found.missing:
            problems.append((where, found.missing_message(config.credentials)))
            continue
        if config.kind is DestinationKind.TELEGRAM:
            api = (config.api_url or TELEGRAM_API_URL).rstrip("/")
            url = f"{api}/bot{found.values['bot_token']}/sendMessage"
            chat_id: SecretStr | None = SecretStr(found.values["chat_id"])
        else:
            url, chat_id = found.values["url"], None
            problem = _url_problem(config.kind, url, f"{config.credentials.upper()}_URL")
            if problem:
                problems.append((where, problem))
                continue
        resolved.append(Destination(name, config.kind, SecretStr(url), chat_id, found.source))
    return tuple(resolved), problems


def _url_problem(kind: DestinationKind, url: str, variable: str) -> str | None:
    if kind is DestinationKind.APPRISE:
        if apprise_installed() and not apprise_understands(url):
            return f"apprise does not recognise the URL in {variable} (see apprise's list of services)"
        return None
    if not re.match(r"^https?://[^/\s]+", url):
        return f"{variable} is not an http(s) URL"
    return None
