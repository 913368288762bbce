"""Plain frozen settings for alerting, built once from ``[alerts]``; nothing here needs the configuration model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from decimal import Decimal
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import SecretStr

from bot.alerts.events import Severity


class DestinationKind(StrEnum):
    WEBHOOK = "webhook"  # any HTTP endpoint that takes our JSON document
    TELEGRAM = "telegram"  # the Telegram Bot API's sendMessage
    DISCORD = "discord"  # a Discord channel webhook
    SLACK = "slack"  # a Slack incoming webhook
    APPRISE = "apprise"  # any service apprise knows (optional extra: pip install hedgebot[apprise])


_TOKEN_LENGTH = 16


@dataclass(frozen=True, slots=True)
class Destination:
    """Where alerts go. ``url`` is secret (webhook URLs carry their token); for Telegram it is the full
    ``sendMessage`` endpoint with the bot token in it, and ``chat_id`` says which chat."""

    name: str
    kind: DestinationKind
    url: SecretStr
    chat_id: SecretStr | None
    source: str  # where the secrets came from, for check-config; never the values

    @property
    def shown(self) -> str:
        """How logs and reports name the destination: its name, kind and host, never its secret parts."""
        host = urlsplit(self.url.get_secret_value()).hostname if self.kind is not DestinationKind.APPRISE else None
        return f"{self.name} ({self.kind.value}{f', {host}' if host else ''})"

    def secret_values(self) -> tuple[str, ...]:
        """Every string that must never be logged: the URL, its path and query, token-like path segments (16
        characters or more: Discord's and Slack's tokens), the Telegram bot token, the chat id."""
        url = self.url.get_secret_value()
        parts = urlsplit(url)
        segments = parts.path.split("/")
        values = [url, parts.path, parts.query, *(s for s in segments if len(s) >= _TOKEN_LENGTH)]
        if self.kind is DestinationKind.TELEGRAM:
            values += [s.removeprefix("bot") for s in segments if s.startswith("bot")]
        if self.kind is DestinationKind.APPRISE:  # apprise URLs may carry a token where a host would be
            values += [url.partition("://")[2], parts.netloc]
        if self.chat_id is not None:
            values.append(self.chat_id.get_secret_value())
        return tuple(v for v in values if v and v != "/")


@dataclass(frozen=True, slots=True)
class AlertLevels:
    """Warning levels for the conditions the loop watches."""

    liquidation_distance_warning: Decimal  # alert when the mark is nearer liquidation than this fraction
    margin_ratio_warning: Decimal  # alert when maintenance margin / margin balance reaches this fraction
    funding_cost_per_day_warning: Decimal  # alert when funding at current rates costs more USDT a day
    rejects_in_a_row: int  # alert when the venue rejects this many orders in a row on one instrument,
    rejects_window: timedelta  # ... each within this long of the latest (older rejections are forgotten)


@dataclass(frozen=True, slots=True)
class AlertSettings:
    enabled: bool
    min_severity: Severity
    daily_summary_time: time | None  # UTC
    destinations: tuple[Destination, ...]
    levels: AlertLevels
