"""Human and machine output for CLI commands: rich tables on the terminal, JSON for scripts, error reports."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from bot.cli.tables import fit, natural_width
from bot.errors import ConfigError
from bot.logging import redact
from bot.plain import plain

# stdout carries results (tables or JSON); stderr carries logs and error reports.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def show(table: Table, console: Console | None = None) -> None:
    """Print a table on ``console`` (stdout by default): on a terminal, fitted to its width with every number
    whole (``bot.cli.tables``); piped or redirected, at its natural width unwrapped."""
    console = console or out
    width = natural_width(console, table)
    if console.is_terminal and width > console.width:
        width = fit(console, table, console.width)
    if width <= console.width:
        console.print(table)
        return
    Console(
        file=console.file,
        width=width,
        force_terminal=console.is_terminal,
        color_system=console.color_system,  # type: ignore[arg-type]
        highlight=False,
        soft_wrap=True,
    ).print(table)


def print_json(data: Any) -> None:
    """Print a result as JSON on stdout: Decimals as strings, secrets masked."""
    sys.stdout.write(json.dumps(redact(plain(data)), indent=2) + "\n")


def report_config_error(error: ConfigError, source: str | None = None) -> None:
    where = f" in {source}" if source else ""
    err.print(f"[bold red]hedgebot: configuration error{where}[/]", markup=True)
    for path, message in error.problems:
        err.print(f"  {path}: {message}", markup=False)
    err.print("Nothing was done. Fix the keys above and run `hedgebot check-config FILE` again.", markup=False)


def money(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return "-"
    text = f"{value:,.{places}f}"
    return text.removeprefix("-") if text.strip("-0.,") == "" else text


def percent(value: Decimal | None, places: int = 1) -> str:
    if value is None:
        return "-"
    text = f"{value:+.{places}f}%"
    return "0." + "0" * places + "%" if text.strip("+-0.%") == "" else text


def to_toml(data: Mapping[str, Any]) -> str:
    """Render plain nested data as TOML-like text (for showing the effective configuration)."""
    lines: list[str] = []
    _emit_table(lines, [], data)
    return "\n".join(lines).strip() + "\n"


def _emit_table(lines: list[str], path: Sequence[str], table: Mapping[str, Any]) -> None:
    scalars = {k: v for k, v in table.items() if not _is_table(v) and not _is_table_list(v)}
    if path and (scalars or not table):
        lines.append(f"\n[{'.'.join(path)}]")
    for key, value in scalars.items():
        lines.append(f"{_key(key)} = {_value(value)}" if value is not None else f"# {_key(key)} is not set")
    for key, value in table.items():
        if _is_table(value):
            _emit_table(lines, [*path, _key(key)], value)
        elif _is_table_list(value):
            for item in value:
                lines.append(f"\n[[{'.'.join([*path, _key(key)])}]]")
                for item_key, item_value in item.items():
                    lines.append(f"{_key(item_key)} = {_value(item_value)}")


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value))
