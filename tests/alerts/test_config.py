"""Specification of ``[alerts]``: destinations' secrets from the environment or the secrets file (never the config
file), clear errors, safe defaults, and the plain settings the notifier receives."""

from __future__ import annotations

import os
from datetime import UTC, time, timedelta
from decimal import Decimal

import pytest

from bot.alerts.apprise_sender import INSTALL_HINT, apprise_installed
from bot.alerts.events import Severity
from bot.alerts.factory import alert_settings
from bot.alerts.settings import DestinationKind
from bot.config import load_config
from bot.errors import ConfigError

SIM_VENUE = """
[venues.main]
exchange = "bybit"
mode = "sim"
url = "http://127.0.0.1:8765"
"""

OPS_SLACK = """
[alerts.destinations.ops]
kind = "slack"
credentials = "OPS"
"""

PHONE_TELEGRAM = """
[alerts.destinations.phone]
kind = "telegram"
credentials = "TG"
"""

SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX"
BOT_TOKEN = "7012345678:AAHsecretTelegramToken_x9"


def problems_of(text: str, write_config, env: dict[str, str] | None = None) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        load_config(write_config(text), env=env or {})
    return dict(info.value.problems)


def test_alerts_when_not_configured_then_enabled_with_no_destinations_and_safe_levels(write_config) -> None:
    settings = alert_settings(load_config(write_config(SIM_VENUE), env={}))
    assert settings.enabled
    assert settings.min_severity is Severity.INFO
    assert settings.destinations == ()
    assert settings.daily_summary_time is None
    levels = settings.levels
    assert levels.liquidation_distance_warning == Decimal("0.40")
    assert levels.margin_ratio_warning == Decimal("0.50")
    assert levels.funding_cost_per_day_warning == Decimal(50)
    assert levels.rejects_in_a_row == 3
    assert levels.rejects_window == timedelta(hours=1)


def test_destinations_when_secrets_in_the_environment_then_resolved_in_order(write_config) -> None:
    env = {"OPS_URL": SLACK_URL, "TG_BOT_TOKEN": BOT_TOKEN, "TG_CHAT_ID": "-100123"}
    config = load_config(write_config(SIM_VENUE + OPS_SLACK + PHONE_TELEGRAM), env=env)
    ops, phone = alert_settings(config).destinations
    assert (ops.name, ops.kind, ops.url.get_secret_value()) == ("ops", DestinationKind.SLACK, SLACK_URL)
    assert phone.url.get_secret_value() == f"https://api.telegram.org/bot{BOT_TOKEN}/sendMessage"
    assert phone.chat_id is not None
    assert phone.chat_id.get_secret_value() == "-100123"
    assert ops.source == "environment (OPS_*)"


def test_telegram_when_api_url_set_then_that_bot_api_server_is_used(write_config) -> None:
    text = SIM_VENUE + PHONE_TELEGRAM + 'api_url = "http://127.0.0.1:8081/"\n'
    config = load_config(write_config(text), env={"TG_BOT_TOKEN": BOT_TOKEN, "TG_CHAT_ID": "42"})
    (phone,) = config.alert_destinations()
    assert phone.url.get_secret_value() == f"http://127.0.0.1:8081/bot{BOT_TOKEN}/sendMessage"


def test_destinations_when_secrets_in_the_secrets_file_then_resolved(write_config, tmp_path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[OPS]\nurl = "{SLACK_URL}"\n', encoding="utf-8")
    os.chmod(secrets, 0o600)
    config = load_config(write_config('secrets_file = "secrets.toml"\n' + SIM_VENUE + OPS_SLACK), env={})
    (ops,) = config.alert_destinations()
    assert ops.url.get_secret_value() == SLACK_URL
    assert ops.source == "secrets file [OPS]"
    assert config.masked_dump()["alert_secrets"] == {"ops": "secrets file [OPS]"}


@pytest.mark.parametrize(
    ("text", "path", "says"),
    [
        (OPS_SLACK, "alerts.destinations.ops.credentials", "OPS_URL not set"),
        (PHONE_TELEGRAM, "alerts.destinations.phone.credentials", "TG_BOT_TOKEN, TG_CHAT_ID not set"),
    ],
)
def test_destinations_when_secrets_missing_then_error_names_the_variables(
    write_config, text: str, path: str, says: str
) -> None:
    problems = problems_of(SIM_VENUE + text, write_config)
    assert says in problems[path]


@pytest.mark.parametrize("key", ["url", "bot_token", "chat_id", "token", "webhook_url"])
def test_destination_when_a_secret_is_written_in_the_config_file_then_refused_without_echoing_it(
    write_config, key: str
) -> None:
    problems = problems_of(SIM_VENUE + OPS_SLACK + f'{key} = "{SLACK_URL}"\n', write_config, {"OPS_URL": SLACK_URL})
    message = problems["alerts.destinations.ops"]
    assert "never read from the config file" in message
    assert SLACK_URL not in message


def test_destination_when_url_is_not_http_then_error_without_echoing_it(write_config) -> None:
    problems = problems_of(SIM_VENUE + OPS_SLACK, write_config, {"OPS_URL": "hooks.slack.com/services/secretXYZ"})
    message = problems["alerts.destinations.ops.credentials"]
    assert message == "OPS_URL is not an http(s) URL"


@pytest.mark.parametrize(
    ("line", "path"),
    [
        ('daily_summary_time = "8am"', "alerts.daily_summary_time"),
        ('daily_summary_time = "24:00"', "alerts.daily_summary_time"),
        ("daily_summary_time = 08:00:30", "alerts.daily_summary_time"),
        ('min_severity = "urgent"', "alerts.min_severity"),
        ("rejects_in_a_row = 0", "alerts.rejects_in_a_row"),
        ("rejects_window = 0", "alerts.rejects_window"),
        ("liquidation_distance_warning = 1.5", "alerts.liquidation_distance_warning"),
        ("funding_cost_per_day_warning = -1", "alerts.funding_cost_per_day_warning"),
        ("enabeld = true", "alerts.enabeld"),
    ],
)
def test_alerts_when_a_value_is_wrong_then_error_names_the_key(write_config, line: str, path: str) -> None:
    problems = problems_of(f"{SIM_VENUE}\n[alerts]\n{line}\n", write_config)
    assert path in problems


def test_alerts_when_a_key_is_misspelt_then_the_right_name_is_suggested(write_config) -> None:
    problems = problems_of(f"{SIM_VENUE}\n[alerts]\nmin_severty = 'info'\n", write_config)
    assert "did you mean 'min_severity'" in problems["alerts.min_severty"]


@pytest.mark.parametrize("written", ['"08:30"', "08:30:00"])
def test_daily_summary_time_when_written_as_text_or_toml_time_then_utc_time_of_day(write_config, written: str) -> None:
    config = load_config(write_config(f"{SIM_VENUE}\n[alerts]\ndaily_summary_time = {written}\n"), env={})
    assert alert_settings(config).daily_summary_time == time(8, 30, tzinfo=UTC)


def test_daily_summary_when_min_severity_would_hold_it_back_then_refused(write_config) -> None:
    text = f'{SIM_VENUE}\n[alerts]\nmin_severity = "warning"\ndaily_summary_time = "08:00"\n'
    assert "would hold it back" in problems_of(text, write_config)["alerts.daily_summary_time"]


def test_api_url_when_set_on_a_non_telegram_destination_then_refused(write_config) -> None:
    text = SIM_VENUE + OPS_SLACK + 'api_url = "https://example.org"\n'
    problems = problems_of(text, write_config, {"OPS_URL": SLACK_URL})
    assert problems["alerts.destinations.ops.api_url"] == "is for kind 'telegram' only"


def test_min_severity_when_overridden_from_the_environment_then_applied(write_config) -> None:
    config = load_config(write_config(SIM_VENUE), env={"HEDGEBOT_ALERTS__MIN_SEVERITY": "critical"})
    assert alert_settings(config).min_severity is Severity.CRITICAL


@pytest.mark.skipif(apprise_installed(), reason="apprise is installed")
def test_apprise_destination_when_the_extra_is_not_installed_then_says_how_to_install_it(write_config) -> None:
    text = SIM_VENUE + '[alerts.destinations.more]\nkind = "apprise"\ncredentials = "MORE"\n'
    problems = problems_of(text, write_config, {"MORE_URL": "ntfy://ntfy.sh/hedgebot-topic"})
    assert problems["alerts.destinations.more.kind"] == INSTALL_HINT


@pytest.mark.skipif(not apprise_installed(), reason="the apprise extra is not installed")
def test_apprise_destination_when_apprise_does_not_know_the_url_then_refused(write_config) -> None:
    text = SIM_VENUE + '[alerts.destinations.more]\nkind = "apprise"\ncredentials = "MORE"\n'
    problems = problems_of(text, write_config, {"MORE_URL": "nosuchservice://secretthing"})
    assert "apprise does not recognise the URL in MORE_URL" in problems["alerts.destinations.more.credentials"]
    config = load_config(write_config(text), env={"MORE_URL": "ntfy://ntfy.sh/hedgebot-topic"})
    assert config.alert_destinations()[0].kind is DestinationKind.APPRISE
