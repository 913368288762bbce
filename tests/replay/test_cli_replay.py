"""Specification of `hedgebot replay` as a user runs it: the report, the PNG, the output folder, and clear refusals."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.conftest import EXAMPLE_CONFIG, ROOT

pytestmark = pytest.mark.e2e

DEMO_CONFIG = ROOT / "scripts" / "demo.toml"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ACCEPTANCE_FIELDS = {
    "hedge_effectiveness", "tracking_error", "max_drawdown_hedged", "max_drawdown_unhedged", "fees", "funding",
    "slippage", "maker_share", "orders", "time_out_of_band",
}  # fmt: skip


@pytest.fixture
def no_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder without hedgebot.toml and no $HEDGEBOT_CONFIG: the replay uses the sample portfolio."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HEDGEBOT_CONFIG", raising=False)
    return tmp_path


def test_replay_when_a_bundled_crash_with_json_and_plot_then_the_report_a_png_and_the_output_folder(
    no_config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png, out = no_config_file / "out.png", no_config_file / "run"
    argv = ["replay", "--sample", "2022-06-3ac-crash", "--to", "2022-06-10T08:00", "--step", "5m"]
    code = main([*argv, "--json", "--plot", str(png), "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    report = json.loads(printed.out)
    assert report.keys() >= ACCEPTANCE_FIELDS
    assert report["steps"] == 97  # 8 hours of 5-minute cycles, and the end
    assert report["orders"] > 0, "the sample portfolio is hedged from the first cycle (BTC and ETH directly)"
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    assert (out / "replay.png").read_bytes().startswith(PNG_SIGNATURE)
    assert json.loads((out / "report.json").read_text()) == report
    assert (out / "replay-journal.sqlite").is_file()
    assert "sample portfolio" in " ".join(report["notes"])
    assert report["synthetic_perpetuals"] == [], "holdings without a configured hedge are proxied, as in a live run"


def test_replay_when_printed_as_a_table_then_the_questions_a_person_asks(
    no_config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "--to", "2022-06-10T02:00", "--step", "10m"]) == 0
    table = capsys.readouterr().out
    for row in ("Will it protect me?", "hedge effectiveness", "max drawdown", "fees paid", "slippage vs decision mid"):
        assert row in table


def test_replay_when_no_out_folder_then_its_temporary_journal_is_removed_at_the_end(
    no_config_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    temporary = no_config_file / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    assert main(["replay", "--to", "2022-06-10T00:10", "--step", "5m", "--json"]) == 0
    assert "journal in a temporary folder, removed at the end (--out keeps it)" in capsys.readouterr().err
    assert list(temporary.iterdir()) == []


def test_replay_when_the_window_is_not_a_whole_number_of_steps_then_a_note_says_where_it_ended(
    no_config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "--to", "2022-06-10T00:10", "--step", "3m", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["end"] == "2022-06-10T00:09:00+00:00"
    expected = "the replay ended at 2022-06-10 00:09 UTC, 0:01:00 before --to (2022-06-10 00:10)"
    assert any(note.startswith(expected) for note in report["notes"]), report["notes"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sample", "2021-05-no-such-crash"], "no bundled sample '2021-05-no-such-crash'; bundled samples: "),
        (["--from", "2022-07-01", "--to", "2022-07-02"], "is outside the market data 2022-06-3ac-crash"),
        (["--from", "2022-06-12", "--to", "2022-06-12T00:00:30"], "is shorter than one step"),
        (["--from", "2022-06-12", "--to", "2022-06-11"], "--to 2022-06-11 00:00 is not after --from 2022-06-12 00:00"),
        (["--data", "."], "--data: needs --from"),
        (["--data", "nowhere", "--from", "2022-06-12"], "--data: nowhere: no such folder"),
    ],
)
def test_replay_when_the_data_or_window_asked_for_is_wrong_then_exit_2_saying_what_to_do(
    no_config_file: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["replay", *argv]) == 2  # a usage error, as argparse's own
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "target", "message"),
    [
        ("--out", "a-file", "--out: cannot make the folder {tmp}/a-file (File exists)"),
        ("--plot", "a-file/replay.png", "--plot: cannot make the folder {tmp}/a-file (File exists)"),
        ("--plot", "a-folder", "--plot {tmp}/a-folder is a folder: name the PNG file to write"),
    ],
)
def test_replay_when_an_output_cannot_be_written_then_exit_1_before_replaying(
    no_config_file: Path, capsys: pytest.CaptureFixture[str], option: str, target: str, message: str
) -> None:
    (no_config_file / "a-file").write_text("not a folder")
    (no_config_file / "a-folder").mkdir()
    argv = ["replay", "--to", "2022-06-10T00:10", "--step", "5m", option, str(no_config_file / target)]
    assert main(argv) == 1
    error = capsys.readouterr().err
    assert message.format(tmp=no_config_file) in error
    assert "replayed" not in error, "refused before the replay, not after it"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc, where no file can be made")
def test_replay_when_the_plot_fails_to_write_then_the_report_is_printed_and_exit_1_without_a_traceback(
    no_config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["replay", "--to", "2022-06-10T00:10", "--step", "5m", "--json", "--plot", "/proc/hedgebot-replay.png"]
    assert main(argv) == 1
    printed = capsys.readouterr()
    assert json.loads(printed.out)["steps"] == 3
    assert "the report is above, but it could not be written" in printed.err


@pytest.mark.parametrize(
    ("config", "account"),
    [
        (EXAMPLE_CONFIG, []),  # its static holdings: 0.25 BTC and 40 SOL
        (DEMO_CONFIG, ["--balance", "USDT=60000", "--balance", "SOL=150"]),  # the demo's SOL is on the exchange
    ],
    ids=["example", "demo"],
)
def test_replay_when_a_configured_perpetual_is_not_in_the_data_then_made_up_from_spot_and_said_everywhere(
    no_config_file: Path, capsys: pytest.CaptureFixture[str], config: Path, account: list[str]
) -> None:
    # Both configurations hedge SOL on SOL/USDT:USDT; the June 2022 sample has BTC and ETH perpetuals only.
    png, out = no_config_file / "out.png", no_config_file / "run"
    argv = ["replay", "--config", str(config), "--sample", "2022-06-3ac-crash", "--to", "2022-06-10T03:00", *account]
    code = main([*argv, "--step", "5m", "--json", "--plot", str(png), "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    report = json.loads(printed.out)
    assert report.keys() >= ACCEPTANCE_FIELDS
    assert report["synthetic_perpetuals"] == ["SOL/USDT:USDT"]
    assert any("SOL/USDT:USDT is synthetic" in note and "no basis" in note for note in report["notes"])
    before_the_run = printed.err.split("replay: 2022-06-10 00:00 UTC")[0]
    assert "SOL/USDT:USDT is synthetic" in before_the_run
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    with closing(sqlite3.connect(out / "replay-journal.sqlite")) as journal:
        hedged = {symbol for (symbol,) in journal.execute("SELECT DISTINCT symbol FROM fills")}
    assert "SOL/USDT:USDT" in hedged, "the configuration's own hedge, unchanged"


def test_replay_when_synthetic_perpetuals_then_the_table_says_so(
    no_config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["replay", "--config", str(EXAMPLE_CONFIG), "--to", "2022-06-10T01:00", "--step", "10m"]
    assert main(argv) == 0
    table = capsys.readouterr().out
    assert "synthetic perpetuals (spot price, no basis, no funding): SOL/USDT:USDT" in table


def test_replay_when_no_synthetic_and_the_data_lacks_a_configured_perpetual_then_exit_4_naming_it(
    no_config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["replay", "--config", str(EXAMPLE_CONFIG), "--sample", "2022-06-3ac-crash", "--no-synthetic"]
    assert main(argv) == 4  # a person acts
    error = capsys.readouterr().err
    assert "hedges.SOL.instrument: SOL/USDT:USDT is not listed" in error
    assert "without --no-synthetic the replay would make SOL/USDT:USDT up from spot" in error


def test_replay_when_a_holding_has_no_spot_price_in_the_data_then_exit_1_naming_it_rather_than_valuing_it_at_zero(
    no_config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The 2025 sample has BTC, ETH and SOL spot prices: 100 AVAX would be left out of the portfolio's value.
    argv = ["replay", "--config", str(EXAMPLE_CONFIG), "--sample", "2025-10-liquidation-cascade"]
    window = ["--from", "2025-10-10T20:00", "--to", "2025-10-10T20:10", "--step", "5m"]
    assert main([*argv, *window, "--balance", "USDT=20000", "--balance", "AVAX=100", "--json"]) == 1
    printed = capsys.readouterr()
    assert printed.out == "", "no report"
    assert "has no spot price for AVAX" in printed.err
    assert "Spot prices in the data: BTC, ETH, SOL" in printed.err


@pytest.mark.parametrize("argv", [["--from", "0001-01-01"], ["--from", "9999-12-31T23:00"], ["--to", "0001-01-01"]])
def test_replay_when_a_time_is_out_of_range_then_exit_2_saying_so(
    no_config_file: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["replay", "--data", str(no_config_file), *argv])
    assert info.value.code == 2
    assert f"{argv[1]!r} is out of range: a time from 1970 to 9998" in capsys.readouterr().err


@pytest.mark.parametrize("balance", ["SOL=nan", "SOL=Infinity", "SOL=1e400", "SOL=-5", "=5"])
def test_replay_when_a_balance_is_not_a_finite_quantity_then_exit_2_saying_what_is_expected(
    no_config_file: Path, capsys: pytest.CaptureFixture[str], balance: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["replay", "--balance", balance])
    assert info.value.code == 2
    assert f"{balance!r}: expected ASSET=QTY with QTY from 0 to 1,000,000,000,000,000" in capsys.readouterr().err


def test_replay_when_the_account_cannot_margin_the_hedge_then_exit_4_saying_so_without_blaming_the_data(
    no_config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The demo configuration hedges BTC, ETH and SOL, all in the 2025 sample: only the 100 USDT falls short.
    argv = ["replay", "--config", str(ROOT / "scripts" / "demo.toml"), "--sample", "2025-10-liquidation-cascade"]
    window = ["--from", "2025-10-10T20:00", "--to", "2025-10-10T20:10", "--step", "5m"]
    assert main([*argv, *window, "--balance", "USDT=100", "--balance", "SOL=150"]) == 4
    error = capsys.readouterr().err
    assert "100.0 USDT is available for margin but the plan needs" in error
    assert "replay a configuration hedging with those" not in error


def test_replay_when_the_demo_configuration_on_its_crash_then_hedged_on_its_own_instruments(
    no_config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["replay", "--config", str(DEMO_CONFIG), "--sample", "2025-10-liquidation-cascade"]
    window = ["--from", "2025-10-10T19:45", "--to", "2025-10-10T21:45", "--step", "2m"]
    account = ["--balance", "USDT=60000", "--balance", "SOL=150", "--balance", "ETH=4", "--json"]
    assert main([*argv, *window, *account]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["fills"] > 0
    assert report["hedge_effectiveness"] is not None
    assert report["max_drawdown_hedged"] < report["max_drawdown_unhedged"]


def test_replay_help_when_asked_then_teaches_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["replay", "--help"])
    text = capsys.readouterr().out
    assert info.value.code == 0
    for words in ("--sample", "--data", "--from", "--step", "--balance", "--plot", "--out", "examples:"):
        assert words in text
