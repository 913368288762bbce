"""Specification of the settings boundary: what the configuration becomes, and what it refuses to become."""

from __future__ import annotations

import tomllib
from decimal import Decimal

import pytest

from bot.config import AppConfig, parse_config
from bot.errors import ConfigError
from bot.settings.from_config import desks_for, settings_for, trading_venues

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
    assert f"uses {trading!r} alone" in message


def test_settings_for_when_every_hedge_names_the_venue_trading_then_built() -> None:
    settings = settings_for(config('[hedges.SOL]\nvenue = "main"\nratio = 0.5\n'), "main")
    assert settings.venue.name == "main"
    assert settings.core.hedges["SOL"].ratio == Decimal("0.5")


OTHER = '[venues.other]\nexchange = "bybit"\nmode = "sim"\nurl = "http://127.0.0.1:8766"\n'
TWO_VENUES = (
    VENUE
    + OTHER
    + '[hedges.SOL]\nvenue = "main"\n[hedges.ETH]\nvenue = "other"\ninstrument = "ETH/USDT:USDT"\n'
    + '[policy.proxy]\ndefault_instrument = "BTC/USDT:USDT"\ndefault_beta = 1\n'
)


def two_venue_config() -> AppConfig:
    return parse_config(tomllib.loads(TWO_VENUES), env={})


@pytest.mark.parametrize(
    ("asset", "desk"),
    [
        ("SOL", "main"),  # its [hedges] entry names main
        ("ETH", "other"),  # its entry names other
        ("DOGE", "main"),  # no entry: the default venue's (the one the run was started on)
    ],
)
def test_desks_for_when_hedges_name_two_venues_then_each_asset_is_hedged_by_one_desk_only(
    asset: str, desk: str
) -> None:
    desks = desks_for(two_venue_config(), "main")
    assert [d.venue.name for d in desks] == ["main", "other"]
    hedging = [d.venue.name for d in desks if d.core.holdings.hedged_here(asset)]
    assert hedging == [desk]  # never two desks: no asset is hedged twice


def test_desks_for_when_hedges_name_two_venues_then_each_desk_holds_its_own_hedges_and_the_default_its_proxy() -> None:
    main, other = desks_for(two_venue_config(), "main")
    assert set(main.core.hedges) == {"SOL"}
    assert set(other.core.hedges) == {"ETH"}
    assert main.core.policy.proxy.default_instrument == "BTC/USDT:USDT"  # holdings with no entry fall back here...
    assert other.core.policy.proxy.default_instrument is None  # ...never on the other desk too
    assert main.core.holdings.shared
    assert other.core.holdings.shared


def test_desks_for_when_every_hedge_trades_on_one_venue_then_one_desk_counting_every_holding() -> None:
    (desk,) = desks_for(config('[hedges.SOL]\nvenue = "main"\n'), "main")
    assert desk == settings_for(config('[hedges.SOL]\nvenue = "main"\n'), "main")
    assert not desk.core.holdings.shared
    assert trading_venues(config(), "main") == ("main",)
