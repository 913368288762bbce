"""Specification of guarded live mode: a venue in mode "live" trades only when the command line and a person agree,
and a refusal comes before any network call (the network is blocked here: any attempt is recorded)."""

from __future__ import annotations

import asyncio
import io
import socket
from pathlib import Path
from typing import Any

import pytest

from bot.cli.live import CONFIRM_VARIABLE
from bot.cli.main import main
from bot.exit_codes import EXIT_NEEDS_OPERATOR

LIVE_CONFIG = """\
[venues.main]
exchange = "bybit"
mode = "live"
credentials = "LIVE"

[holdings]
venues = ["main"]

[approval]
mode = "auto"

[journal]
path = "{folder}/journal.sqlite"

[risk]
kill_switch_file = "{folder}/hedgebot.halt"
"""


class Terminal(io.StringIO):
    """Standard input at a terminal, where a person types ``typed``."""

    def isatty(self) -> bool:
        return True


class Pipe(io.StringIO):
    """Standard input with no terminal (a service)."""

    def isatty(self) -> bool:
        return False


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The network, blocked: every attempt to resolve or connect raises, and is listed."""
    attempts: list[str] = []

    def blocked(name: str) -> Any:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            attempts.append(name)
            raise OSError(f"network blocked in this test ({name})")

        return refuse

    async def refuse_async(*args: Any, **kwargs: Any) -> Any:
        attempts.append("event loop connection")
        raise OSError("network blocked in this test")

    monkeypatch.setattr(socket, "getaddrinfo", blocked("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", blocked("create_connection"))
    monkeypatch.setattr(socket.socket, "connect", blocked("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", blocked("connect_ex"))
    monkeypatch.setattr(asyncio.BaseEventLoop, "create_connection", refuse_async)
    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", refuse_async)
    return attempts


@pytest.fixture
def live_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LIVE_API_KEY", "k" * 18)
    monkeypatch.setenv("LIVE_API_SECRET", "s" * 36)
    monkeypatch.delenv(CONFIRM_VARIABLE, raising=False)
    path = tmp_path / "hedgebot.toml"
    path.write_text(LIVE_CONFIG.format(folder=tmp_path), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("command", "stdin", "confirm", "missing"),
    [
        (["run"], Pipe(), None, "Add --live to the command line"),
        (["unwind"], Terminal("main\n"), None, "Add --live to the command line"),  # typing alone is not enough
        (["run", "--live"], Pipe(), None, f"set {CONFIRM_VARIABLE}=main in the environment"),
        (["run", "--live"], Pipe(), "mian", f"{CONFIRM_VARIABLE} is 'mian', not the venue's name 'main'"),
        (["unwind", "--live"], Terminal("yes\n"), None, "'main' was not typed at the prompt"),
        (["run", "--live"], Terminal(""), "main", "'main' was not typed at the prompt"),  # at a terminal: type it
    ],
    ids=["no --live", "no --live, typed", "no confirmation", "wrong confirmation", "typed wrong", "nothing typed"],
)
def test_live_guard_when_live_and_something_missing_then_exit_4_naming_it_before_any_network_call(
    live_config: Path,
    network: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    stdin: io.StringIO,
    confirm: str | None,
    missing: str,
) -> None:
    monkeypatch.setattr("sys.stdin", stdin)
    if confirm is not None:
        monkeypatch.setenv(CONFIRM_VARIABLE, confirm)
    code = main([*command, "--config", str(live_config)])
    printed = capsys.readouterr().err
    assert code == EXIT_NEEDS_OPERATOR  # a person must confirm live trading: a supervisor never restarts it
    assert missing in " ".join(printed.split())
    assert network == []  # refused before anything was contacted
    assert not (live_config.parent / "journal.sqlite").exists()


@pytest.mark.parametrize(
    ("command", "stdin", "confirm"),
    [
        (["run", "--live", "--once"], Pipe(), "main"),
        (["run", "--live", "--once"], Terminal("main\n"), None),
        (["run", "--dry-run", "--once"], Pipe(), None),  # a dry run sends nothing: no confirmation needed
    ],
    ids=["confirmed in the environment", "typed at the prompt", "dry run"],
)
def test_live_guard_when_confirmed_or_a_dry_run_then_goes_on_to_contact_the_venue(
    live_config: Path,
    network: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    stdin: io.StringIO,
    confirm: str | None,
) -> None:
    monkeypatch.setattr("sys.stdin", stdin)
    if confirm is not None:
        monkeypatch.setenv(CONFIRM_VARIABLE, confirm)
    code = main([*command, "--config", str(live_config)])
    printed = capsys.readouterr().err
    assert code == 1  # the blocked network: the venue cannot be reached
    assert network  # the guard let it through to the venue
    assert "hedgebot run on venue main (bybit, mode live)" in printed  # past the guard: the banner
