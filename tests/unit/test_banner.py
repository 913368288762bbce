"""Specification of the start-up banner: everything about to trade, where and within what, before any contact."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.banner import banner_for, render
from bot.config import AppConfig, parse_config
from bot.settings.from_config import desks_for, settings_for

LIVE = {"LIVE_API_KEY": "k" * 18, "LIVE_API_SECRET": "s" * 36}


def live_config() -> AppConfig:
    return parse_config(
        {
            "venues": {"main": {"exchange": "bybit", "mode": "live", "credentials": "LIVE"}},
            "hedges": {"SOL": {"instrument": "SOL/USDT:USDT"}, "AVAX": {"proxy": "ETH/USDT:USDT", "beta": 1.3}},
            "execution": {"leverage": 2, "margin_mode": "cross"},
            "risk": {"max_order_notional": 750, "max_data_age": "20s"},
            "approval": {"mode": "ask", "timeout": "90s"},
        },
        env=LIVE,
    )


@pytest.mark.parametrize("dry_run", [False, True])
def test_banner_when_starting_then_mode_venue_account_instruments_leverage_every_limit_approval_and_protection(
    dry_run: bool,
) -> None:
    config = live_config()
    banner = banner_for(
        config,
        settings_for(config, "main"),
        "run",
        dry_run=dry_run,
        approval="ask",
        protection="heartbeat every 15s",
        journal=Path("j.db"),
    )
    text = "\n".join(render(banner))
    for shown in (
        "hedgebot run on venue main (bybit, mode live)",
        "credential set LIVE, from the environment (LIVE_*)",
        "SOL/USDT:USDT (hedges.SOL.instrument)",
        "ETH/USDT:USDT (hedges.AVAX.proxy)",
        "each other holding (wallet or holdings.static): its own <ASSET>/USDT:USDT",  # a cold wallet's too
        "2x, cross margin",
        "max_order_notional 750",
        "max_data_age 20s",
        "ask at the terminal; no answer in 90s means no; a plan answered after 1m or after a price move beyond "
        "50 bps is planned and asked again",
        "heartbeat every 15s",
        "j.db",
    ):
        assert shown in text
    for key in config.risk.model_dump():
        assert f"{key} " in text  # every risk limit, named by its key
    assert LIVE["LIVE_API_KEY"] not in text
    assert ("DRY-RUN" in text) is dry_run


def test_banner_when_a_dry_run_then_every_line_says_dry_run() -> None:
    config = live_config()
    banner = banner_for(
        config, settings_for(config, "main"), "unwind", dry_run=True, approval="auto", protection="-", journal=Path("j")
    )
    lines = render(banner)
    assert all(line.startswith("DRY-RUN") for line in lines)
    assert any("no order, cancel or setting is sent to the venue" in line for line in lines)
    assert any("auto: orders within the risk limits go out on their own" in line for line in lines)


def test_banner_when_hedges_trade_on_two_venues_then_each_venues_banner_lists_only_its_own_instruments() -> None:
    sim = {"exchange": "bybit", "mode": "sim", "url": "http://127.0.0.1:8765"}
    config = parse_config(
        {
            "venues": {"a": sim, "b": {**sim, "url": "http://127.0.0.1:8766"}},
            "hedges": {"SOL": {"venue": "a", "instrument": "SOL/USDT:USDT"}, "ETH": {"venue": "b"}},
        },
        env={},
    )
    texts = {
        desk.venue.name: "\n".join(
            render(banner_for(config, desk, "run", dry_run=False, approval="auto", protection="-",
                              journal=Path("j.db"), default_venue="a"))
        )
        for desk in desks_for(config, "a")
    }  # fmt: skip
    assert "hedgebot run on venue a" in texts["a"]
    assert "SOL/USDT:USDT (hedges.SOL.instrument)" in texts["a"]
    assert "each other holding" in texts["a"]  # the default venue hedges the holdings no entry routes
    assert "ETH" not in texts["a"]
    assert "hedgebot run on venue b" in texts["b"]
    assert "ETH/USDT:USDT (hedges.ETH: its own perpetual, where listed)" in texts["b"]
    assert "SOL" not in texts["b"]
    assert "each other holding" not in texts["b"]
