"""Specification of the one duration grammar, and of both places users write durations: config and --since."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli.main import build_parser, main
from bot.config import load_config
from bot.durations import format_duration, parse_duration
from tests.journal.factories import new_journal, populate

# Every documented form, with the duration it denotes.
FORMS = [
    (30, timedelta(seconds=30)),
    (0.5, timedelta(milliseconds=500)),
    ("45", timedelta(seconds=45)),
    ("90s", timedelta(seconds=90)),
    ("30m", timedelta(minutes=30)),
    ("1.5h", timedelta(minutes=90)),
    ("2d", timedelta(days=2)),
    ("PT6H", timedelta(hours=6)),
    ("PT1H30M", timedelta(minutes=90)),
    ("P2D", timedelta(days=2)),
    ("P1DT12H", timedelta(hours=36)),
    ("PT0.25S", timedelta(milliseconds=250)),
]
REFUSED = ["", "-5", "-5s", "5x", "90 minutes", "1h30m", "P", "PT", "P1DT", "nan", "6H", float("inf"), True]


@pytest.mark.parametrize(("text", "expected"), FORMS)
def test_parse_duration_when_documented_form_then_exact_duration(
    text: str | int | float | Decimal, expected: timedelta
) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", REFUSED)
def test_parse_duration_when_not_a_duration_then_refused_naming_the_forms(text: str | float | bool) -> None:
    with pytest.raises(ValueError, match="not a duration: write seconds"):
        parse_duration(text)


@pytest.mark.parametrize(("text", "expected"), FORMS)
def test_config_duration_when_any_documented_form_then_parsed(
    write_config, text: str | int | float, expected: timedelta
) -> None:
    value = f'"{text}"' if isinstance(text, str) else str(text)
    venue = '[venues.main]\nexchange = "bybit"\nmode = "sim"\nurl = "http://127.0.0.1:8765"\n'
    config = load_config(write_config(f"{venue}[approval]\ntimeout = {value}\n"), env={})
    assert config.approval.timeout == expected


@pytest.mark.parametrize(("text", "expected"), [(t, e) for t, e in FORMS if isinstance(t, str)])
def test_journal_since_when_any_documented_form_then_an_age_before_now(text: str, expected: timedelta) -> None:
    before = datetime.now(UTC)
    since = build_parser().parse_args(["journal", "funding", "--since", text]).since
    assert before - expected <= since <= datetime.now(UTC) - expected


@pytest.mark.parametrize(("since", "shown"), [("90s", False), ("36500d", True)])
def test_journal_command_when_since_is_an_age_then_only_fills_that_recent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], since: str, shown: bool
) -> None:
    journal, clock, path = new_journal(tmp_path)
    populate(journal, clock)  # fills dated 2025
    capsys.readouterr()  # the journal's own log lines
    assert main(["journal", "fills", "--since", since, "--journal", str(path), "--json"]) == 0
    assert bool(json.loads(capsys.readouterr().out)) is shown


def test_journal_since_when_not_a_duration_nor_a_time_then_exit_2_naming_the_forms(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["journal", "fills", "--since", "yesterday", "--journal", "unused.sqlite"])
    assert info.value.code == 2
    assert "a number and a unit s/m/h/d" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("duration", "written"),
    [
        (timedelta(seconds=15), "15s"),
        (timedelta(seconds=90), "90s"),
        (timedelta(minutes=2), "2m"),
        (timedelta(minutes=90), "90m"),
        (timedelta(hours=6), "6h"),
        (timedelta(days=2), "2d"),
        (timedelta(milliseconds=500), "0.5s"),
    ],
)
def test_format_duration_when_written_then_the_largest_whole_unit_and_read_back_the_same(
    duration: timedelta, written: str
) -> None:
    assert format_duration(duration) == written
    assert parse_duration(written) == duration
