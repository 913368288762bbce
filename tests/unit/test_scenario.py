"""Specification of the what-if table, against hand-computed numbers (the seed's Table 1 among them)."""

from __future__ import annotations

import json
import shlex
from decimal import Decimal

import pytest

from bot.cli import scenario as scenario_command
from bot.cli.main import main
from bot.domain import MarginMode
from bot.scenario import Exposure, HedgeMargin, ScenarioCell, scenario_table
from tests.conftest import EXAMPLE_CONFIG

D = Decimal
EXACT = D("1e-24")  # the code and the hand-simplified fractions may differ in the last of 28 digits


def isolated(leverage: str = "1", maintenance: str = "0.005") -> HedgeMargin:
    return HedgeMargin(D(leverage), MarginMode.ISOLATED, D(maintenance))


def cross(leverage: str = "2", maintenance: str = "0.005", collateral: str | None = None) -> HedgeMargin:
    return HedgeMargin(D(leverage), MarginMode.CROSS, D(maintenance), None if collateral is None else D(collateral))


def sol(value: str = "10000", ratio: str = "0.5") -> list[Exposure]:
    return [Exposure("SOL", D(value), D(ratio))]


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
    table = scenario_table(sol(), isolated(), moves=[D(move)], ratios=[D(ratio)])
    cell = table.rows[0].cells[0]
    assert cell.pnl_pct == D(expected_pct)
    assert cell.pnl == D(10000) * D(expected_pct) / 100
    assert not cell.liquidated


@pytest.mark.parametrize(
    ("margin", "ratio", "expected_move", "expected_margin"),
    [
        # isolated short: liquidated at (1 + 1/L) / (1 + m) of today's price; it loses its margin H / L
        (isolated("2", "0.005"), "1", D("0.495") / D("1.005"), D(5000)),  # +49.25%
        (isolated("2", "0.005"), "0.5", D("0.495") / D("1.005"), D(2500)),  # the ratio does not move it
        (isolated("1", "0.01"), "1", D("0.99") / D("1.01"), D(10000)),  # +98.0%
        (isolated("2", "0.01"), "1", D("0.49") / D("1.01"), D(5000)),  # +48.5%
        # cross: the collateral C backs it, liquidated at (C + H) / (H (1 + m)); it loses C
        (cross("2"), "1", D("0.495") / D("1.005"), D(5000)),  # C = the initial margin: as isolated
        (cross("2", collateral="10000"), "1", D("0.995") / D("1.005"), D(10000)),  # (10000 + 10000) / 10050
        (cross("2", collateral="10000"), "0.5", D("1.995") / D("1.005"), D(10000)),  # (10000 + 5000) / 5025
    ],
)
def test_scenario_when_hedged_then_each_ratio_shows_its_liquidation_move_and_margin_at_stake(
    margin: HedgeMargin, ratio: str, expected_move: Decimal, expected_margin: Decimal
) -> None:
    (column, _configured) = scenario_table(sol(), margin, moves=[], ratios=[D(ratio)]).columns
    assert column.liquidation_move is not None
    assert abs(column.liquidation_move - expected_move) < EXACT
    assert column.margin == expected_margin


def test_scenario_when_2x_isolated_full_hedge_and_60pct_rise_then_margin_lost_and_spot_rises_unhedged() -> None:
    # 10,000 of SOL, a 10,000 short at 2x holding 5,000 of margin, liquidated near +49.25%. At +60% the
    # holding gained 6,000 and the short lost its 5,000 of margin: +1,000 (+10%), not the 0.00 of a hedge
    # that would still be there.
    table = scenario_table(sol(ratio="1"), isolated("2", "0.005"), moves=[D("0.4"), D("0.6")], ratios=[D(1)])
    below, beyond = (row.cells[0] for row in table.rows)
    assert (below.pnl, below.liquidated) == (D(0), False)
    assert (beyond.pnl, beyond.pnl_pct, beyond.liquidated) == (D(1000), D(10), True)


def test_scenario_when_unhedged_then_never_liquidated() -> None:
    table = scenario_table(sol(), isolated("2"), moves=[D(1)], ratios=[D(0)])
    assert table.columns[0].liquidation_move is None
    assert table.columns[0].margin == 0
    assert table.rows[0].cells[0] == ScenarioCell(D(10000), D(100), liquidated=False)


def test_scenario_when_per_holding_ratios_then_configured_column_is_value_weighted() -> None:
    exposures = [Exposure("SOL", D(6000), D("0.5")), Exposure("ETH", D(4000), D(1))]
    table = scenario_table(exposures, isolated(), moves=[D("-0.2")], ratios=[])
    (configured,) = table.columns
    assert configured.label == "configured"
    assert configured.hedge_notional == D(7000)  # 3000 + 4000
    assert configured.ratio == D("0.7")
    assert table.rows[0].cells[0].pnl == D(-600)  # 10000 x -0.2 x 0.3


def test_scenario_when_funding_rate_given_then_daily_funding_is_notional_times_rate_times_settlements() -> None:
    table = scenario_table(sol(ratio="1"), isolated(), moves=[D("-0.1")], ratios=[D("0.5")], funding_rate=D("-0.0001"))
    # 5000 hedged x -0.0001 x 3 settlements a day = -1.5 (the short pays)
    assert table.columns[0].funding_per_day == D("-1.5")


@pytest.mark.parametrize(
    "build",
    [
        lambda: HedgeMargin(D(2), MarginMode.ISOLATED, D("0.005"), D(1000)),  # collateral is for cross only
        lambda: cross(collateral="0"),
        lambda: isolated("0"),
        lambda: isolated("2", "1"),
    ],
)
def test_hedge_margin_when_inconsistent_then_refused(build) -> None:
    with pytest.raises(ValueError, match=r"leverage|maintenance|collateral"):
        build()


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


def test_scenario_cli_when_2x_in_config_then_json_carries_each_ratios_liquidation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEDGEBOT_EXECUTION__LEVERAGE", "2")
    argv = ["scenario", "--config", str(EXAMPLE_CONFIG), "--json", "--price", "BTC=60000", "--price", "SOL=150"]
    assert main([*argv, "--moves", "-40,60", "--ratios", "0,1", "--maintenance-rate", "0.005"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["leverage"], data["margin_mode"], data["maintenance_margin_rate"]) == ("2", "isolated", "0.005")
    moves = {c["label"]: c["liquidation_move"] for c in data["columns"]}
    assert moves["0%"] is None
    assert abs(D(moves["100%"]) - D("0.495") / D("1.005")) < EXACT
    rise = next(r for r in data["rows"] if D(r["move"]) == D("0.6"))
    full = next(o for o in rise["outcomes"] if o["label"] == "100%")
    assert (D(full["pnl_pct"]), full["liquidated"]) == (D(10), True)  # 21000 x 0.6 - 10500 = 2100


def test_scenario_cli_when_table_then_shows_where_the_short_is_liquidated(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEDGEBOT_EXECUTION__LEVERAGE", "2")
    argv = ["scenario", "--config", str(EXAMPLE_CONFIG), "--price", "BTC=60000", "--price", "SOL=150"]
    assert main([*argv, "--moves", "60", "--ratios", "1", "--maintenance-rate", "0.005"]) == 0
    text = capsys.readouterr().out
    assert "liquidated at" in text
    assert "+49.2%" in text  # 49.25%, shown rounded toward zero
    assert "+10.0% *" in text
    assert "the short is liquidated at this move: its margin is lost" in text


def test_scenario_cli_when_collateral_given_in_isolated_margin_then_refused(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["scenario", "--config", str(EXAMPLE_CONFIG), "--price", "BTC=60000", "--price", "SOL=150"]
    assert main([*argv, "--collateral", "5000"]) == 2  # a usage error
    assert "a collateral applies to cross margin only: in isolated margin" in capsys.readouterr().err


def help_examples() -> list[str]:
    text = scenario_command.DESCRIPTION.split("examples:", 1)[1]
    return [line.strip() for line in text.splitlines() if line.strip().startswith("hedgebot scenario")]


@pytest.mark.parametrize("example", help_examples())
def test_scenario_help_examples_when_run_then_exit_0(example: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [str(EXAMPLE_CONFIG) if arg == "my.toml" else arg for arg in shlex.split(example)[1:]]
    assert main(argv) == 0
    assert capsys.readouterr().out


@pytest.mark.parametrize("moves", [["--moves", "-40,-20,20"], ["--moves=-40,-20,20"], ["--moves", "-5.5"]])
def test_scenario_cli_when_moves_start_negative_then_parsed_as_moves(
    moves: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["scenario", "--config", str(EXAMPLE_CONFIG), "--json", "--price", "BTC=60000", "--price", "SOL=150"]
    assert main([*argv, *moves]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [D(r["move"]) * 100 for r in rows] == [D(m) for m in moves[-1].split("=")[-1].split(",")]


def test_scenario_cli_when_price_unknown_then_clear_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenario", "--config", str(EXAMPLE_CONFIG), "--holding", "ZZZ=5"]) == 2  # pass --price
    assert "no price for ZZZ" in capsys.readouterr().err
