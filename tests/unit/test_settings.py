"""Specification of the settings boundary: what the configuration becomes, and what it refuses to become."""

from __future__ import annotations

import tomllib

from bot.config import AppConfig, parse_config
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
