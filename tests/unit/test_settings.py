"""Specification of the settings boundary: what the configuration becomes, and what it refuses to become."""

from __future__ import annotations

import tomllib
from decimal import Decimal

import pytest

from bot.config import AppConfig, parse_config
from bot.errors import ConfigError
from bot.settings.from_config import settings_for

VENUE = '[venues.main]\nexchange = "bybit"\nmode = "sim"\nurl = "http://127.0.0.1:8765"\n'


def config(text: str = "") -> AppConfig:
    return parse_config(tomllib.loads(VENUE + text), env={})


def test_reprice_budgets_when_set_apart_then_the_planner_and_the_executor_each_take_their_own() -> None:
    settings = settings_for(
        config("[execution]\nmax_reprices_per_minute = 4\nmax_post_only_retries_per_minute = 2\n"), "main"
    )
    assert settings.core.planner.max_reprices_per_minute == 4  # resting orders cancelled and replaced
    assert settings.execution.max_post_only_retries_per_minute == 2  # fresh books after a post-only refusal


@pytest.mark.parametrize(("trading", "refused"), [("main", "ETH"), ("other", "SOL")])
def test_settings_for_when_a_hedge_names_another_venue_than_the_one_trading_then_refused_naming_the_key(
    trading: str, refused: str
) -> None:
    two = VENUE + '[venues.other]\nexchange = "bybit"\nmode = "sim"\nurl = "http://127.0.0.1:8766"\n'
    hedges = '[hedges.SOL]\nvenue = "main"\n[hedges.ETH]\nvenue = "other"\n'
    config = parse_config(tomllib.loads(two + hedges), env={})
    with pytest.raises(ConfigError) as info:
        settings_for(config, trading)
    ((key, message),) = info.value.problems
    assert key == f"hedges.{refused}.venue"
    assert f"trades on {trading!r}" in message


def test_settings_for_when_every_hedge_names_the_venue_trading_then_built() -> None:
    settings = settings_for(config('[hedges.SOL]\nvenue = "main"\nratio = 0.5\n'), "main")
    assert settings.venue.name == "main"
    assert settings.core.hedges["SOL"].ratio == Decimal("0.5")
