"""Turn ``[alerts]`` into the notifier's plain settings: the one place the configuration model is read."""

from __future__ import annotations

from bot.alerts.settings import AlertLevels, AlertSettings
from bot.config import AppConfig


def alert_settings(config: AppConfig) -> AlertSettings:
    alerts = config.alerts
    return AlertSettings(
        enabled=alerts.enabled,
        min_severity=alerts.min_severity,
        daily_summary_time=alerts.daily_summary_time,
        destinations=config.alert_destinations(),
        levels=AlertLevels(
            liquidation_distance_warning=alerts.liquidation_distance_warning,
            margin_ratio_warning=alerts.margin_ratio_warning,
            funding_cost_per_day_warning=alerts.funding_cost_per_day_warning,
            rejects_in_a_row=alerts.rejects_in_a_row,
            rejects_window=alerts.rejects_window,
        ),
    )
