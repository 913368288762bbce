"""Specification of `hedgebot plan`: on the shipped example snapshot, as JSON and as a table; errors."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.conftest import EXAMPLE_CONFIG
from tests.core.test_snapshot_file import EXAMPLE

D = Decimal


def plan_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    assert main(["plan", "--config", str(EXAMPLE_CONFIG), "--snapshot", str(EXAMPLE), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_plan_json_when_example_snapshot_then_every_holding_has_a_reason(capsys: pytest.CaptureFixture[str]) -> None:
    data = plan_json(capsys)
    reasons = {h["holding"]["asset"]: h["reason"] for h in data["holdings"]}
    assert reasons == {
        "AVAX": "rebalance",  # proxied on the ETH perp at an estimated beta
        "BTC": "hedged_within_band",  # 0.25 BTC (the configured hardware wallet) x 0.5 = the 0.125 short held
        "ETH": "rebalance",
        "LINK": "no_perp_no_proxy",
        "SOL": "rebalance",
        "USDT": "excluded",
    }


def test_plan_json_when_example_snapshot_then_intents_net_proxy_and_direct_and_reprice_the_stale_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = plan_json(capsys)
    by_symbol = {d["symbol"]: d for d in data["instruments"]}
    hedges = {h["holding"]["asset"]: h["hedge"] for h in data["holdings"]}
    # ETH: 8 ETH held x 0.75 (its own ratio) = 6, plus AVAX's proxy share, netted into one target.
    eth = by_symbol["ETH/USDT:USDT"]
    assert D(eth["target"]) == D(-6) + D(hedges["AVAX"]["contracts"])
    assert hedges["AVAX"]["kind"] == "proxy"
    eth_sells = [i for i in data["intents"] if i["symbol"] == "ETH/USDT:USDT"]
    assert {i["side"] for i in eth_sells} == {"sell"}
    assert sum(D(i["amount"]) for i in eth_sells) == D(eth["target_contracts"]) * -1 - 5  # minus the 5 ETH short
    # SOL: (150 in the wallet + 40 configured as staked) x 0.5 = 95; 30 rest in flight, 65 more in two slices.
    sol = by_symbol["SOL/USDT:USDT"]
    assert (D(sol["target_contracts"]), D(sol["in_flight"]), D(sol["gap"])) == (D(-95), D(-30), D(-65))
    sol_intents = [
        (i["side"], D(i["amount"]), D(i["price"]), i["replaces"])
        for i in data["intents"]
        if i["symbol"] == "SOL/USDT:USDT"
    ]
    assert sol_intents == [
        ("sell", D(30), D("34.19"), "hbexmpl1x0"),  # the 10-minute-old order re-placed at the ask (order_ttl 2m)
        ("sell", D("32.5"), D("34.19"), None),  # 65 x 34.19 = 2,222 USDT: two even slices under 2,000 each
        ("sell", D("32.5"), D("34.19"), None),
    ]
    assert [c["client_order_id"] for c in data["cancels"]] == ["hbexmpl1x0"]
    assert all(i["post_only"] for i in data["intents"])


def test_plan_json_when_decided_after_max_data_age_then_stale_and_nothing_proposed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = plan_json(capsys, "--at", "2022-06-20T00:01:00Z")  # 60 s after the snapshot; risk.max_data_age is 15 s
    assert data["intents"] == []
    reasons = {h["holding"]["asset"]: h["reason"] for h in data["holdings"]}
    assert reasons == {
        "AVAX": "stale_price",
        "BTC": "stale_price",
        "ETH": "stale_price",
        "LINK": "no_perp_no_proxy",  # could not be hedged at any price
        "SOL": "stale_price",
        "USDT": "excluded",
    }


def test_plan_table_when_example_snapshot_then_shows_hedges_orders_and_notes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", "--config", str(EXAMPLE_CONFIG), "--snapshot", str(EXAMPLE)]) == 0
    text = capsys.readouterr().out
    for expected in (
        "Holdings and hedges",
        "Proposed actions",
        "ETH/USDT:USDT proxy β",
        "no_perp_no_proxy",
        "cancel hbexmpl1x0",
    ):
        assert expected in text
    assert "AVAX: beta" in text  # the estimate and the residual it leaves unhedged


def test_plan_when_no_snapshot_and_the_simulator_is_down_then_exit_1_saying_what_to_do(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEDGEBOT_VENUES__MAIN__URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    assert main(["plan", "--config", str(EXAMPLE_CONFIG)]) == 1
    err = capsys.readouterr().err
    assert "hedgebot sim" in err
    assert "--snapshot FILE" in err


def test_plan_when_snapshot_malformed_then_exit_1_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(EXAMPLE.read_text().replace('"lot_step"', '"lot_stp"'))
    assert main(["plan", "--config", str(EXAMPLE_CONFIG), "--snapshot", str(bad)]) == 1
    assert "unknown key 'lot_stp' (did you mean 'lot_step'?)" in capsys.readouterr().err


def test_plan_help_when_asked_then_names_the_example_snapshot(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["plan", "--help"])
    assert "tests/fixtures/snapshots/example-2022-06-20.json" in capsys.readouterr().out
