"""Specification of configuration loading: defaults, hard limits, typos, cross-field rules, credentials."""

from __future__ import annotations

import os
import tomllib
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import VenueMode, load_config, parse_config
from bot.errors import ConfigError
from bot.exchange.quirks import QUIRKS
from bot.settings.from_config import planner_params
from hedgesim.credentials import SIM_API_KEY
from tests.conftest import EXAMPLE_CONFIG

SIM_VENUE = """
[venues.main]
exchange = "bybit"
mode = "sim"
url = "http://127.0.0.1:8765"
"""

TESTNET_VENUE = """
[venues.main]
exchange = "bybit"
mode = "testnet"
credentials = "BYBIT_TEST"
"""


def problems_of(text: str, write_config, env: dict[str, str] | None = None) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        load_config(write_config(text), env=env or {})
    return info.value.problems


def paths_of(problems: list[tuple[str, str]]) -> list[str]:
    return [path for path, _ in problems]


def test_example_config_when_loaded_then_valid_with_safe_defaults() -> None:
    config = load_config(EXAMPLE_CONFIG, env={})
    assert config.venues["main"].mode is VenueMode.SIM
    assert config.execution.leverage == Decimal(1)
    assert config.execution.margin_mode.value == "isolated"
    assert config.approval.mode == "ask"
    assert config.credentials("main").api_key.get_secret_value() == SIM_API_KEY
    assert config.execution.interval == timedelta(seconds=30)


def test_minimal_config_when_only_a_venue_then_defaults_fill_every_section(write_config) -> None:
    config = load_config(write_config(SIM_VENUE), env={})
    assert config.policy.name == "fixed_ratio"
    assert config.risk.max_leverage == Decimal(2)
    assert config.risk.max_hedge_ratio == Decimal(1)


@pytest.mark.parametrize(
    ("section", "key", "value", "path"),
    [
        ("execution", "leverage", "3", "execution.leverage"),
        ("execution", "leverage", "0.5", "execution.leverage"),
        ("risk", "max_leverage", "2.5", "risk.max_leverage"),
        ("policy", "ratio", "-0.1", "policy.ratio"),
        ("policy", "ratio", "1.6", "policy.ratio"),
        ("risk", "max_hedge_ratio", "1.51", "risk.max_hedge_ratio"),
        ("risk", "max_order_notional", "0", "risk.max_order_notional"),
        ("execution", "band", "1.5", "execution.band"),
    ],
)
def test_hard_limits_when_exceeded_then_error_names_the_key(
    write_config, section: str, key: str, value: str, path: str
) -> None:
    problems = problems_of(f"{SIM_VENUE}\n[{section}]\n{key} = {value}\n", write_config)
    assert path in paths_of(problems)
    message = dict(problems)[path]
    assert value in message  # the bad value is shown


def test_leverage_when_set_by_environment_above_cap_then_still_refused(write_config) -> None:
    problems = problems_of(SIM_VENUE, write_config, env={"HEDGEBOT_EXECUTION__LEVERAGE": "3"})
    assert "execution.leverage" in paths_of(problems)


def test_unknown_key_when_misspelt_then_error_suggests_the_right_one(write_config) -> None:
    problems = problems_of(f"{SIM_VENUE}\n[execution]\nlevrage = 2\n", write_config)
    assert problems == [("execution.levrage", "unknown key 'levrage' (did you mean 'leverage'?)")]


def test_unknown_section_when_present_then_error_names_it(write_config) -> None:
    problems = problems_of(f"{SIM_VENUE}\n[risks]\nmax_leverage = 1\n", write_config)
    assert paths_of(problems) == ["risks"]
    assert "did you mean 'risk'" in problems[0][1]


def test_unknown_key_when_in_a_venue_table_then_path_includes_the_venue_name(write_config) -> None:
    problems = problems_of(SIM_VENUE + 'exchnage = "bybit"\n', write_config)
    assert problems[0][0] == "venues.main.exchnage"
    assert "did you mean 'exchange'" in problems[0][1]


def test_credentials_when_environment_variable_missing_then_error_names_variable_and_key(
    write_config,
) -> None:
    problems = problems_of(TESTNET_VENUE, write_config, env={"BYBIT_TEST_API_KEY": "abcdefgh"})
    assert paths_of(problems) == ["venues.main.credentials"]
    assert "BYBIT_TEST_API_SECRET" in problems[0][1]


def test_credentials_when_present_in_environment_then_resolved_as_secret(write_config) -> None:
    env = {"BYBIT_TEST_API_KEY": "key-123456", "BYBIT_TEST_API_SECRET": "secret-abcdef"}
    config = load_config(write_config(TESTNET_VENUE), env=env)
    creds = config.credentials("main")
    assert creds.secret.get_secret_value() == "secret-abcdef"
    assert "secret-abcdef" not in repr(creds)
    assert "secret-abcdef" not in str(config.masked_dump())


def test_credentials_when_okx_without_passphrase_then_error(write_config) -> None:
    text = '[venues.okx]\nexchange = "okx"\nmode = "demo"\ncredentials = "OKX_DEMO"\n'
    env = {"OKX_DEMO_API_KEY": "key-123456", "OKX_DEMO_API_SECRET": "secret-abcdef"}
    problems = problems_of(text, write_config, env=env)
    assert "OKX_DEMO_PASSPHRASE" in problems[0][1]


def test_credentials_when_in_secrets_file_then_resolved(tmp_path: Path, write_config) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[BYBIT_TEST]\napi_key = "file-key-1"\napi_secret = "file-secret-1"\n')
    secrets.chmod(0o600)
    config = load_config(write_config('secrets_file = "secrets.toml"\n' + TESTNET_VENUE), env={})
    assert config.credentials("main").api_key.get_secret_value() == "file-key-1"
    assert config.credentials("main").source == "secrets file [BYBIT_TEST]"


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_secrets_file_when_readable_by_others_then_refused(tmp_path: Path, write_config) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[BYBIT_TEST]\napi_key = "file-key-1"\napi_secret = "file-secret-1"\n')
    secrets.chmod(0o644)
    problems = problems_of('secrets_file = "secrets.toml"\n' + TESTNET_VENUE, write_config)
    assert problems[0][0] == "secrets_file"
    assert "chmod 600" in problems[0][1]


def test_api_key_when_written_in_config_file_then_refused(write_config) -> None:
    problems = problems_of(SIM_VENUE + 'api_key = "abc"\n', write_config)
    assert paths_of(problems) == ["venues.main.api_key"]
    assert "never read from the config file" in problems[0][1]


def test_environment_override_when_nested_key_set_then_it_wins_over_the_file(write_config) -> None:
    text = SIM_VENUE + "\n[risk]\nmax_order_notional = 5000\n"
    config = load_config(write_config(text), env={"HEDGEBOT_RISK__MAX_ORDER_NOTIONAL": "2500"})
    assert config.risk.max_order_notional == Decimal(2500)


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ('[holdings]\nvenues = ["elsewhere"]\n', "holdings.venues[0]"),
        ('[hedges.SOL]\nvenue = "elsewhere"\n', "hedges.SOL.venue"),
        ('[hedges.SOL]\ninstrument = "SOL/USDT:USDT"\nproxy = "BTC/USDT:USDT"\n', "hedges.SOL"),
        ("[hedges.SOL]\nbeta = 1.3\n", "hedges.SOL.beta"),
        ("[hedges.SOL]\nratio = 1.2\n", "hedges.SOL.ratio"),
        ("[policy]\nratio = 1.2\n", "policy.ratio"),
        ("[execution]\nmin_notional = 9000\n", "execution.min_notional"),
        ('[hedges.SOL]\ninstrument = "SOLUSDT"\n', "hedges.SOL.instrument"),
        ('[execution]\norder_ttl = "2m"\nmax_order_age = "2m"\n', "execution.max_order_age"),
        ('[watchdog]\nwindow = "1s"\n', "watchdog.window"),
    ],
)
def test_cross_field_rules_when_broken_then_error_names_the_key(write_config, extra: str, path: str) -> None:
    assert path in paths_of(problems_of(SIM_VENUE + extra, write_config))


@pytest.mark.parametrize(
    ("slice_max", "max_order", "per_order"),
    [
        ("2000", "500", "500"),  # the README's override: a lower risk limit caps every slice
        ("2000", "5000", "2000"),
        ("750", "750", "750"),
    ],
)
def test_slice_max_notional_when_combined_with_max_order_notional_then_smaller_caps_each_order(
    write_config, slice_max: str, max_order: str, per_order: str
) -> None:
    text = SIM_VENUE + f"\n[execution]\nslice_max_notional = {slice_max}\n[risk]\nmax_order_notional = {max_order}\n"
    config = load_config(write_config(text), env={})
    assert planner_params(config.execution, config.risk).max_order_notional == Decimal(per_order)


def test_client_rate_limit_when_turned_off_on_a_real_venue_then_refused(write_config) -> None:
    env = {"BYBIT_TEST_API_KEY": "key-123456", "BYBIT_TEST_API_SECRET": "secret-abcdef"}
    problems = problems_of(TESTNET_VENUE + "client_rate_limit = false\n", write_config, env=env)
    assert paths_of(problems) == ["venues.main.client_rate_limit"]


def test_venue_exchange_when_the_quirks_table_has_no_row_for_it_then_refused_naming_those_it_has(
    write_config,
) -> None:
    problems = problems_of(SIM_VENUE.replace('"bybit"', '"kraken"'), write_config)
    assert paths_of(problems) == ["venues.main.exchange"]
    assert all(repr(name) in problems[0][1] for name in QUIRKS)


@pytest.mark.parametrize("exchange", sorted(QUIRKS))
def test_venue_exchange_when_the_quirks_table_has_a_row_for_it_then_accepted(exchange: str, write_config) -> None:
    text = f'[venues.main]\nexchange = "{exchange}"\nmode = "live"\ncredentials = "LIVE"\n'
    env = {"LIVE_API_KEY": "key-123456", "LIVE_API_SECRET": "secret-abcdef", "LIVE_PASSPHRASE": "phrase-123"}
    assert load_config(write_config(text), env=env).venues["main"].exchange == exchange


def test_sim_venue_when_url_missing_then_error(write_config) -> None:
    problems = problems_of('[venues.main]\nexchange = "bybit"\nmode = "sim"\n', write_config)
    assert paths_of(problems) == ["venues.main.url"]


def test_several_problems_when_present_then_all_reported_at_once(write_config) -> None:
    text = SIM_VENUE + "\n[execution]\nleverage = 3\nlevrage = 1\n\n[policy]\nratio = -1\n"
    assert set(paths_of(problems_of(text, write_config))) == {
        "execution.leverage",
        "execution.levrage",
        "policy.ratio",
    }


def test_event_window_when_end_before_start_then_error_names_the_window(write_config) -> None:
    text = SIM_VENUE + (
        '\n[policy]\nname = "event_window"\n[[policy.event_window.windows]]\nname = "unlock"\n'
        "start = 2026-12-02T00:00:00Z\nend = 2026-12-01T00:00:00Z\nratio = 1\n"
    )
    problems = problems_of(text, write_config)
    assert paths_of(problems) == ["policy.event_window.windows[0]"]
    assert "must be after start" in problems[0][1]


def test_durations_when_written_human_style_then_parsed(write_config) -> None:
    text = SIM_VENUE + '\n[execution]\ninterval = "90s"\norder_ttl = "5m"\n[risk]\nmax_data_age = 20\n'
    config = load_config(write_config(text), env={})
    assert config.execution.interval == timedelta(seconds=90)
    assert config.execution.order_ttl == timedelta(minutes=5)
    assert config.risk.max_data_age == timedelta(seconds=20)


def test_file_when_not_toml_then_error_says_so(write_config) -> None:
    problems = problems_of("[venues.main\nexchange=", write_config)
    assert "not valid TOML" in problems[0][1]


def test_file_when_missing_then_error_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml", env={})


@pytest.mark.parametrize(
    "text",
    [
        "[venues]\n",  # no venue
        SIM_VENUE + "\n[execution]\nleverage = 3\nlevrage = 1\n",  # a hard limit and a typo
        SIM_VENUE + "\n[policy]\nratio = 1.2\n",  # above risk.max_hedge_ratio: a cross-field rule
        SIM_VENUE + 'api_key = "k"\n',  # a secret in the file
        TESTNET_VENUE,  # credentials not in the environment
        SIM_VENUE + '\n[hedges.SOL]\ninstrument = "SOL/USDT:USDT"\nproxy = "BTC/USDT:USDT"\n',
    ],
    ids=["no venue", "field rules", "cross-field rule", "inline secret", "credentials", "hedge rule"],
)
def test_parse_config_when_given_data_then_same_rules_apply(text: str, write_config) -> None:
    """The data a file holds fails parse_config exactly as the file fails load_config: one set of rules."""
    with pytest.raises(ConfigError) as parsed:
        parse_config(tomllib.loads(text), env={})
    assert parsed.value.problems
    assert parsed.value.problems == problems_of(text, write_config)
