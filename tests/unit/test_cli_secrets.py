"""Specification: secrets (API keys, alert secrets) are resolved only by the commands that use them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.main import main
from tests.conftest import EXAMPLE_CONFIG

MISSING = "venues.main.credentials"
SAMPLE_WINDOW = ["--sample", "2025-10-liquidation-cascade", "--from", "2025-10-10T20:00", "--to", "2025-10-10T20:10"]


def config_without_keys(folder: Path) -> Path:
    """The example configuration on a testnet venue whose credential set NOPE_TEST is not in the environment."""
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("url = ")]
    text = "\n".join(lines).replace('mode = "sim"', 'mode = "testnet"\ncredentials = "NOPE_TEST"', 1)
    path = folder / "nokeys.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def nokeys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("NOPE_TEST_API_KEY", raising=False)
    monkeypatch.delenv("NOPE_TEST_API_SECRET", raising=False)
    monkeypatch.chdir(tmp_path)
    return config_without_keys(tmp_path)


@pytest.mark.parametrize(
    "command",
    [
        ["run", "--once"],
        ["unwind"],
        ["status"],
        ["plan"],
        ["watchdog"],
        ["alert-test"],
    ],
    ids=lambda command: command[0],
)
def test_cli_when_a_command_that_uses_the_keys_lacks_them_then_exit_2_naming_the_set(
    command: list[str], nokeys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "--config", str(nokeys)]) == 2
    assert f"{MISSING}: credential set 'NOPE_TEST'" in capsys.readouterr().err


def test_replay_when_the_configuration_names_keys_not_set_then_replays_without_them(
    nokeys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "replay",
                "--config",
                str(nokeys),
                *SAMPLE_WINDOW,
                "--balance",
                "USDT=60000",
                "--balance",
                "SOL=150",
                "--json",
            ]
        )
        == 0
    )
    assert '"hedge_effectiveness"' in capsys.readouterr().out


@pytest.mark.parametrize(
    "command",
    [
        ["scenario", "--price", "BTC=60000", "--price", "SOL=150", "--price", "ETH=3000", "--price", "AVAX=30"],
        ["plan", "--snapshot", "tests/fixtures/snapshots/example-2022-06-20.json"],
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_cli_when_a_command_that_needs_no_keys_lacks_them_then_exit_0(
    command: list[str], nokeys: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EXAMPLE_CONFIG.parent)
    assert main([*command, "--config", str(nokeys)]) == 0
    assert MISSING not in capsys.readouterr().err


def test_check_config_when_keys_are_not_set_then_exit_0_warning_which_commands_refuse(
    nokeys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-config", str(nokeys)]) == 0
    captured = capsys.readouterr()
    assert "OK:" in captured.out
    assert f"warning: {MISSING}: credential set 'NOPE_TEST'" in captured.err
    assert "run, unwind, status, plan (against a venue), watchdog and alert-test refuse" in captured.err
