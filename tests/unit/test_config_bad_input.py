"""Specification of bad configuration input: every value the fuzzers found accepted or crashing is a clean error.

Each row is a configuration (or environment) that was once accepted with a dangerous meaning or crashed; it must
now be a ``ConfigError`` naming the key, and exit 2 from the command line.
"""

from __future__ import annotations

from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest

from bot.cli.main import main
from bot.config import load_config
from tests.unit.test_config import SIM_VENUE, problems_of

WINDOW = """
[[policy.event_window.windows]]
name = "unlock"
start = {start}
end = 2026-12-03T00:00:00Z
ratio = 1
ramp_in = "{ramp}"
"""


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[risk]\nkill_switch_file = ""', "risk.kill_switch_file"),  # Path("") is ".": it exists, halting every run
        ('[risk]\nkill_switch_file = "halt\\u0000file"', "risk.kill_switch_file"),  # exists() is False: never halts
        ('[risk]\nkill_switch_file = "/"', "risk.kill_switch_file"),  # a directory always exists
        ('[journal]\npath = ""', "journal.path"),
        ('[risk]\nmax_order_notional = "1e400"', "risk.max_order_notional"),  # a limit switched off
        ("[risk]\nmax_total_hedge_notional = 1e400", "risk.max_total_hedge_notional"),  # TOML reads inf
        ('[risk]\nmax_daily_turnover = "1e16"', "risk.max_daily_turnover"),
        ("[risk]\nmax_orders_per_minute = true", "risk.max_orders_per_minute"),  # true passed as 1
        ("[execution]\npassive_offset_ticks = true", "execution.passive_offset_ticks"),
        ("[alerts]\nrejects_in_a_row = true", "alerts.rejects_in_a_row"),
        ('[execution]\ninterval = "99999999999999d"', "execution.interval"),
        ('[execution]\norder_ttl = "999999999d"', "execution.order_ttl"),  # a timedelta, but no date survives it
        (WINDOW.format(start="2026-12-01T14:00:00Z", ramp="999999999d"), "policy.event_window.windows[0].ramp_in"),
        (WINDOW.format(start="0001-01-01T00:00:00Z", ramp="1d"), "policy.event_window.windows[0]"),
        ("[venues.main.options]\nrecvWindow = nan", "venues.main.options.recvWindow"),
        ("timeout_seconds = 1e-9", "venues.main.timeout_seconds"),  # under [venues.main]: every request times out
    ],
)
def test_config_when_a_value_would_mean_something_dangerous_then_error_names_the_key(
    write_config, text: str, key: str
) -> None:
    problems = problems_of(SIM_VENUE + text, write_config)
    assert [path for path, _ in problems] == [key]


@pytest.mark.parametrize(
    "url",
    ["", "127.0.0.1:8765", "htp://127.0.0.1", "http://", "http:///path", "http://127.0.0.1:99999",
     "http://127.0.0.1:port", "http://[::1", "http://127.0.0.1 :8765", "ftp://127.0.0.1", "http://127.0.0.1:0"],
)  # fmt: skip
def test_sim_url_when_not_an_http_url_with_a_host_then_error_names_the_key(write_config, url: str) -> None:
    text = f'[venues.main]\nexchange = "bybit"\nmode = "sim"\nurl = "{url}"\n'
    assert "venues.main.url" in [path for path, _ in problems_of(text, write_config)]


def test_alert_api_url_when_not_an_http_url_then_error_names_the_key(write_config) -> None:
    text = '[alerts.destinations.ops]\nkind = "telegram"\ncredentials = "OPS"\napi_url = "https://"\n'
    env = {"OPS_BOT_TOKEN": "123:abc", "OPS_CHAT_ID": "42"}
    assert "alerts.destinations.ops.api_url" in [path for path, _ in problems_of(SIM_VENUE + text, write_config, env)]


@pytest.mark.parametrize(
    ("variable", "closest"),
    [
        ("HEDGEBOT_RISK_MAX_ORDER_NOTIONAL", "HEDGEBOT_RISK__MAX_ORDER_NOTIONAL"),  # one underscore
        ("HEDGEBOT_RISK__MAX_ORDER_NOTIONALS", "HEDGEBOT_RISK__MAX_ORDER_NOTIONAL"),
        ("HEDGEBOT_EXECUTION__LEVRAGE", "HEDGEBOT_EXECUTION__LEVERAGE"),
        ("HEDGEBOT_VENUES__MAIN__URLL", "HEDGEBOT_VENUES__MAIN__URL"),
        ("hedgebot_risk_kill_switch_file", "HEDGEBOT_RISK__KILL_SWITCH_FILE"),
    ],
)
def test_environment_when_a_hedgebot_variable_names_no_key_then_error_names_it_and_the_closest_key(
    write_config, variable: str, closest: str
) -> None:
    (problem,) = problems_of(SIM_VENUE, write_config, {variable: "500"})
    assert problem[0] == variable
    assert closest in problem[1]


@pytest.mark.parametrize("value", ["main", "main,other", "[main", ""])
def test_environment_when_a_list_value_is_not_json_then_error_names_the_variable(write_config, value: str) -> None:
    (problem,) = problems_of(SIM_VENUE, write_config, {"HEDGEBOT_HOLDINGS__VENUES": value})
    assert problem[0] == "HEDGEBOT_HOLDINGS__VENUES"
    assert "JSON" in problem[1]


def test_environment_when_a_value_is_invalid_then_the_error_names_the_variable_that_set_it(write_config) -> None:
    (problem,) = problems_of(SIM_VENUE, write_config, {"HEDGEBOT_RISK__MAX_ORDER_NOTIONAL": "1e400"})
    assert problem[0] == "risk.max_order_notional"
    assert "(set by HEDGEBOT_RISK__MAX_ORDER_NOTIONAL)" in problem[1]


def test_environment_when_the_tools_own_variables_are_set_then_they_are_not_configuration(write_config) -> None:
    env = {"HEDGEBOT_CONFIG": "other.toml", "HEDGEBOT_VENV": ".venv", "HEDGEBOT_RISK__MAX_ORDER_NOTIONAL": "500"}
    assert load_config(write_config(SIM_VENUE), env=env).risk.max_order_notional == 500


def test_check_config_when_the_environment_misspells_a_key_then_exit_2_naming_it(write_config) -> None:
    path: Path = write_config(SIM_VENUE)
    with (
        mock.patch.dict("os.environ", {"HEDGEBOT_RISK_MAX_ORDER_NOTIONAL": "500"}),
        redirect_stdout(StringIO()),
        redirect_stderr(StringIO()) as errors,
    ):
        code = main(["check-config", str(path)])
    assert code == 2
    assert "HEDGEBOT_RISK_MAX_ORDER_NOTIONAL" in errors.getvalue()
    assert "HEDGEBOT_RISK__MAX_ORDER_NOTIONAL" in errors.getvalue()
