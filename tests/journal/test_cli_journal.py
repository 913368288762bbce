"""Specification of `hedgebot journal` on a journal built in the test (see tests/journal/factories.py populate)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.domain import ReasonCode, TradingState
from bot.journal import CycleRecord, Journal, open_reader
from tests.journal.factories import HOUR, RUN, hedged_cycle, new_journal, populate
from tests.risk.factories import sell

D = Decimal


@pytest.fixture
def journal_file(tmp_path: Path) -> Path:
    journal, clock, path = new_journal(tmp_path)
    populate(journal, clock)
    return path


@pytest.fixture
def running_journal(tmp_path: Path) -> Journal:
    """The bot's writer connection stays open: the command reads alongside it."""
    journal, clock, _ = new_journal(tmp_path)
    populate(journal, clock)
    return journal


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["journal", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param([], ["r1run1", "active", "15,000.00", "10,500.00"], id="cycles by default"),
        pytest.param(["why", "sol"], ["blocked_by_limit", "denied: the short could reach 110", "rebalance"], id="why"),
        pytest.param(["orders"], ["hbr1run11x0", "filled", "hbr1run12x0", "open"], id="orders"),
        pytest.param(["fills", "--symbol", "SOL/USDT:USDT"], ["t1", "t2", "maker", "900.06"], id="fills"),
        pytest.param(["funding"], ["SOL/USDT:USDT", "-0.6000", "0.3000"], id="funding"),
    ],
)
def test_journal_command_when_view_then_table_with_the_recorded_rows(
    running_journal: Journal, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: list[str]
) -> None:
    code, out, _ = run(capsys, *args, "--journal", str(tmp_path / "journal.sqlite"))
    assert code == 0
    for text in expected:
        assert text in out


def test_journal_command_when_orders_open_then_only_unresolved(
    journal_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "orders", "--open", "--json", "--journal", str(journal_file))
    assert code == 0
    assert [o["client_order_id"] for o in json.loads(out)] == ["hbr1run12x0"]


@pytest.mark.parametrize(
    ("args", "check"),
    [
        pytest.param(["cycles", "-n", "1"], lambda rows: [r["number"] for r in rows] == [2], id="cycles"),
        pytest.param(["why", "SOL"], lambda rows: rows[0]["denials"] == ["the short could reach 110 contracts"],
                     id="why"),
        pytest.param(["fills"], lambda rows: sorted(r["fill"]["amount"] for r in rows) == ["4", "6"], id="fills"),
        pytest.param(["fills", "--since", "2025-10-10T12:00:01"], lambda rows: rows == [], id="fills since"),
        pytest.param(["funding"], lambda rows: (rows[0]["paid"], rows[0]["net"]) == ("0.9", "-0.6"), id="funding"),
        pytest.param(["funding", "--since", "2025-10-10T09:00"], lambda rows: rows[0]["net"] == "0.3", id="since"),
    ],
)  # fmt: skip
def test_journal_command_when_json_then_decimals_as_strings(
    journal_file: Path, capsys: pytest.CaptureFixture[str], args: list[str], check: Callable[[Any], bool]
) -> None:
    code, out, _ = run(capsys, *args, "--json", "--journal", str(journal_file))
    assert code == 0
    assert check(json.loads(out)), out
    assert check(json.loads(out))


def test_journal_command_when_config_names_a_relative_path_then_relative_to_the_config(
    journal_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "hedgebot.toml"
    config.write_text(
        '[venues.main]\nexchange = "bybit"\nmode = "sim"\nurl = "http://127.0.0.1:1"\n'
        f'[journal]\npath = "{journal_file.name}"\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, _ = run(capsys, "cycles", "--json", "--config", str(config))
    assert code == 0
    assert len(json.loads(out)) == 2


@pytest.mark.parametrize(
    ("args", "message", "exit_code"),
    [
        pytest.param(["--journal", "missing.sqlite"], "does not exist", 1, id="no such file"),
        pytest.param(["why", "--journal", "missing.sqlite"], "name the holding", 2, id="why without asset: usage"),
    ],
)
def test_journal_command_when_it_cannot_answer_then_exit_1_or_2_for_usage_with_the_reason(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
    exit_code: int,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *args)
    assert code == exit_code
    assert message in err
    assert "Traceback" not in out + err
    assert not (tmp_path / "missing.sqlite").exists()


def test_journal_command_when_nothing_recorded_for_a_holding_then_says_so(
    journal_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "why", "DOGE", "--journal", str(journal_file))
    assert (code, out.strip()) == (0, "Nothing recorded for DOGE.")


def test_journal_command_when_help_then_every_view_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["journal", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for word in ("cycles", "why ASSET", "orders", "fills", "funding", "--json", "--journal", "examples:"):
        assert word in text


@pytest.fixture
def quiet_journal(tmp_path: Path) -> Path:
    """A hedge that was rebuilt at 12:00:00 (cycle 11), then held for 40 cycles deciding the same (12:00:30-12:20:00)."""
    journal, clock, path = new_journal(tmp_path, start=HOUR)
    journal.start_run(RUN, mode="sim", config_hash="c0ffee", version="0.1.0")
    hedged_cycle(journal, clock, 11, current="-70", reason=ReasonCode.REBALANCE, intents=(sell("5"),))
    for number in range(12, 52):
        hedged_cycle(journal, clock, number, sol=str(150 + number % 3))
    journal.close()
    return path


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["cycles"], ["cycles 12-51 unchanged, the last at 2025-10-10 12:20:00"],
                     id="cycles"),
        pytest.param(["why", "SOL"], ["hedged_within_band", "the same since 2025-10-10 12:00:30 (40 cycles)",
                                      "rebalance"], id="why"),
    ],
)  # fmt: skip
def test_journal_command_when_cycles_repeated_a_decision_then_one_row_names_the_run_of_unchanged_cycles(
    quiet_journal: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: list[str]
) -> None:
    code, out, _ = run(capsys, *args, "--journal", str(quiet_journal))
    assert code == 0
    flat = " ".join(out.split())  # a long cell may wrap
    for text in expected:
        assert text in flat, out
    code, out, _ = run(capsys, "cycles", "--json", "--journal", str(quiet_journal))
    newest, first = json.loads(out)
    assert (newest["number"], newest["repeats"], newest["last_number"]) == (12, 39, 51)
    assert (first["number"], first["repeats"], first["last_number"]) == (11, 0, None)


def test_journal_command_when_runs_on_two_venues_interleave_then_each_cycle_names_its_venue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal, clock, path = new_journal(tmp_path)
    for run_id, venue in (("r1runa", "main"), ("r1runb", "okx")):
        journal.start_run(run_id, mode="sim", config_hash="c0ffee", version="0.1.0", detail={"venue": venue})
    for number in (1, 2):
        for run_id, hedged in (("r1runa", "9000"), ("r1runb", "4000")):
            journal.record_cycle(CycleRecord(run_id, number, clock.now(), TradingState.ACTIVE, D(15000), D(hedged)))
        clock.advance(timedelta(seconds=30))
    journal.close()
    with open_reader(path) as reader:
        cycles = reader.last_cycles()
    assert [(r.venue, r.number) for r in cycles] == [("okx", 2), ("main", 2), ("okx", 1), ("main", 1)]
    code, out, _ = run(capsys, "cycles", "--journal", str(path))
    assert code == 0
    rows = [line for line in out.splitlines() if "r1run" in line]
    assert [("okx" in row, "main" in row) for row in rows] == [(True, False), (False, True)] * 2
    code, out, _ = run(capsys, "cycles", "--json", "--journal", str(path))
    assert [row["venue"] for row in json.loads(out)] == ["okx", "main", "okx", "main"]
