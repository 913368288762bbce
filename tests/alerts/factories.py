"""Named factories for alert tests: destinations, settings, a fast retry policy, realistic events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pydantic import SecretStr

from bot.alerts import events
from bot.alerts.events import AlertEvent, DailyFigures, Severity
from bot.alerts.notifier import RetryPolicy
from bot.alerts.settings import AlertLevels, AlertSettings, Destination, DestinationKind

D = Decimal
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TELEGRAM_TOKEN = "7012345678:AAHsecretTelegramToken_x9"
CHAT_ID = "-1009876543210"


def destination(kind: DestinationKind, url: str, name: str | None = None) -> Destination:
    chat = SecretStr(CHAT_ID) if kind is DestinationKind.TELEGRAM else None
    return Destination(name or kind.value, kind, SecretStr(url), chat, "test")


def telegram_destination(api_url: str) -> Destination:
    return destination(DestinationKind.TELEGRAM, f"{api_url}/bot{TELEGRAM_TOKEN}/sendMessage")


def levels() -> AlertLevels:
    return AlertLevels(D("0.40"), D("0.50"), D(50), 3, timedelta(hours=1))


def settings(*destinations: Destination, min_severity: Severity = Severity.INFO, enabled: bool = True) -> AlertSettings:
    return AlertSettings(enabled, min_severity, None, tuple(destinations), levels())


def fast_policy(**overrides: float) -> RetryPolicy:
    """Retries in milliseconds rather than seconds, so that tests run fast."""
    values: dict[str, float] = {
        "attempts": 5,
        "first_wait": 0.01,
        "max_wait": 0.05,
        "request_timeout": 5.0,
        "queue_size": 20,
        "close_timeout": 5.0,
    }
    values.update(overrides)
    return RetryPolicy(
        attempts=int(values["attempts"]),
        first_wait=values["first_wait"],
        max_wait=values["max_wait"],
        request_timeout=values["request_timeout"],
        queue_size=int(values["queue_size"]),
        close_timeout=values["close_timeout"],
    )


def kill_switch_halt() -> AlertEvent:
    return events.halted("the kill switch file hedgebot.halt appeared", at=NOON)


def sol_limit_blocked() -> AlertEvent:
    return events.limit_blocked(
        "SOL/USDT:USDT", "risk.max_order_notional", "the order's 6,120 USDT is above 5,000", at=NOON
    )


def sol_liquidation_close() -> AlertEvent:
    return events.liquidation_distance_low("SOL/USDT:USDT", D("0.21"), D("0.40"), D("182.5"), D("150.8"), at=NOON)


def crash_day_summary() -> AlertEvent:
    figures = DailyFigures(
        until=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        holdings_value=D("48210.554"),
        hedge_notional=D("36150"),
        hedge_ratio=D("0.7498"),
        spot_pnl=D("-6210.40"),
        hedge_pnl=D("4610.25"),
        funding=D("-12.3375"),
        fees=D("3.61"),
    )
    return events.daily_summary(figures, at=NOON)
