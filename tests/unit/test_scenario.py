"""Specification of the what-if table, against hand-computed numbers (the seed's Table 1 among them)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bot.cli.main import main
from bot.scenario import Exposure, scenario_table
from tests.conftest import EXAMPLE_CONFIG

D = Decimal


@pytest.mark.parametrize(
    ("move", "ratio", "expected_pct"),
    [
        ("-0.20", "0", "-20"),  # no hedge: -20%
        ("-0.20", "0.5", "-10"),  # 50% hedge: about -10% (seed, Table 1)
        ("-0.20", "1", "0"),  # full hedge: about 0%
        ("0.20", "0.5", "10"),  # a rally: +10% at 50%
        ("-0.50", "0.75", "-12.5"),
        ("0.30", "1.2", "-6"),  # an over-hedge loses in a rally
    ],
)
def test_scenario_when_uniform_move_then_outcome_is_move_times_unhedged_share(
    move: str, ratio: str, expected_pct: str
) -> None:
    table = scenario_table([Exposure("SOL", D(10000), D("0.5"))], moves=[D(move)], ratios=[D(ratio)])
    cell = table.rows[0].cells[0]
    assert cell.pnl_pct == D(expected_pct)
    assert cell.pnl == D(10000) * D(expected_pct) / 100


def test_scenario_when_per_holding_ratios_then_configured_column_is_value_weighted() -> None:
    exposures = [Exposure("SOL", D(6000), D("0.5")), Exposure("ETH", D(4000), D(1))]
    table = scenario_table(exposures, moves=[D("-0.2")], ratios=[])
    (configured,) = table.columns
    assert configured.label == "configured"
    assert configured.hedge_notional == D(7000)  # 3000 + 4000
    assert configured.ratio == D("0.7")
    assert table.rows[0].cells[0].pnl == D(-600)  # 10000 x -0.2 x 0.3


def test_scenario_when_funding_rate_given_then_daily_funding_is_notional_times_rate_times_settlements() -> None:
    table = scenario_table(
        [Exposure("SOL", D(10000), D(1))], moves=[D("-0.1")], ratios=[D("0.5")], funding_rate=D("-0.0001")
    )
    # 5000 hedged x -0.0001 x 3 settlements a day = -1.5 (the short pays)
    assert table.columns[0].funding_per_day == D("-1.5")


def test_scenario_cli_when_json_then_table_matches_hand_computed_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["scenario", "--config", str(EXAMPLE_CONFIG), "--json", "--price", "BTC=60000", "--price", "SOL=150"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    # example config: 0.25 BTC + 40 SOL, both at the default ratio 0.5
    assert D(data["portfolio_value"]) == D(15000) + D(6000)
    labels = [c["label"] for c in data["columns"]]
    assert labels == ["0%", "50%", "75%", "100%", "configured"]
    drop20 = next(r for r in data["rows"] if D(r["move"]) == D("-0.2"))
    by_label = {o["label"]: D(o["pnl_pct"]) for o in drop20["outcomes"]}
    assert by_label["0%"] == D(-20)
    assert by_label["50%"] == D(-10)
    assert by_label["100%"] == D(0)
    assert by_label["configured"] == D(-10)


def test_scenario_cli_when_price_unknown_then_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenario", "--config", str(EXAMPLE_CONFIG), "--holding", "ZZZ=5"]) == 1
    assert "no price for ZZZ" in capsys.readouterr().err
