"""Specification of table output: on a narrow terminal no number is ever cut short; piped, tables are whole."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from bot.cli.output import show
from tests.conftest import EXAMPLE_CONFIG, ROOT
from tests.journal.factories import new_journal, populate

SNAPSHOT = ROOT / "tests" / "fixtures" / "snapshots" / "example-2022-06-20.json"
RUN_ALL = """
import json, sys
from bot.cli.main import main
for argv in json.loads(sys.argv[1]):
    print("=== " + " ".join(argv), flush=True)
    main(argv)
"""


def terminal(width: int = 80) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=width, force_terminal=True, color_system=None, highlight=False), buffer


def numbers_in(text: str) -> set[str]:
    """Every whitespace-separated word with a digit in it, borders and styles aside."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return {w for w in re.split(r"[\s│┃]+", plain) if any(ch.isdigit() for ch in w)}


def run_commands(commands: list[list[str]], tty_columns: int | None) -> dict[str, str]:
    env = {**os.environ, "NO_COLOR": "1", "HEDGEBOT_EXECUTION__LEVERAGE": "2"}
    env.update({"TTY_COMPATIBLE": "1", "COLUMNS": str(tty_columns)} if tty_columns else {"TTY_COMPATIBLE": "0"})
    result = subprocess.run(
        [sys.executable, "-c", RUN_ALL, json.dumps(commands)], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    sections = re.split(r"^=== (.*)$", result.stdout, flags=re.MULTILINE)[1:]
    return dict(zip(sections[::2], sections[1::2], strict=True))


def test_cli_tables_when_terminal_is_80_columns_then_every_number_is_whole(tmp_path: Path) -> None:
    journal, clock, path = new_journal(tmp_path)
    populate(journal, clock)
    commands = [
        ["plan", "--config", str(EXAMPLE_CONFIG), "--snapshot", str(SNAPSHOT)],
        ["scenario", "--config", str(EXAMPLE_CONFIG), "--funding-rate", "-0.0001"],
        *(["journal", *view.split(), "--journal", str(path)] for view in ("cycles", "why SOL", "orders", "fills")),
        ["journal", "funding", "--journal", str(path)],
    ]
    piped = run_commands(commands, tty_columns=None)
    narrow = run_commands(commands, tty_columns=80)
    for command, reference in piped.items():
        shown = narrow[command]
        assert "…" not in shown, command
        missing = numbers_in(reference) - numbers_in(shown)
        assert not missing, f"{command}: {sorted(missing)} cut or lost at 80 columns"
        assert len(numbers_in(reference)) > 5  # the oracle has something to compare


def wide_table(columns: int, note: str) -> Table:
    table = Table(title="wide")
    for index in range(columns):
        table.add_column(f"amount {index}", justify="right")
    table.add_column("note")
    table.add_row(*[f"{1_234_567 + index:,}.89" for index in range(columns)], note)
    return table


def test_show_when_text_can_wrap_then_the_table_fits_and_numbers_stay_whole() -> None:
    console, buffer = terminal(80)
    note = "a long explanation that can wrap over several lines without losing anything at all " * 2
    show(wide_table(4, note), console)
    text = buffer.getvalue()
    assert max(cell_len(line) for line in text.splitlines()) <= 80
    assert {f"{1_234_567 + i:,}.89" for i in range(4)} <= numbers_in(text)
    assert "…" not in text
    assert "┃" in text  # it fitted without giving up its borders


def test_show_when_numbers_alone_are_wider_than_the_terminal_then_printed_whole_and_wider() -> None:
    console, buffer = terminal(80)
    show(wide_table(9, "note"), console)
    text = buffer.getvalue()
    assert {f"{1_234_567 + i:,}.89" for i in range(9)} <= numbers_in(text)
    assert "…" not in text
    assert max(cell_len(line) for line in text.splitlines()) > 80


@pytest.mark.parametrize("columns", [4, 9])
def test_show_when_piped_then_one_line_per_row_at_natural_width(columns: int) -> None:
    buffer = io.StringIO()
    show(wide_table(columns, "a note that would wrap on a terminal " * 3), Console(file=buffer, width=80))
    rows = [line for line in buffer.getvalue().splitlines() if "1,234,567.89" in line]
    assert len(rows) == 1
    assert "a note that would wrap on a terminal " * 2 in rows[0]
