"""Specification of the command line: help, check-config exit codes and messages, placeholders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.conftest import EXAMPLE_CONFIG, ROOT

SUBCOMMANDS = ["check-config", "plan", "run", "watchdog", "status", "unwind", "scenario", "sim", "replay", "journal"]

BAD_CONFIGS = {
    "leverage": '[venues.main]\nexchange = "bybit"\nmode = "sim"\nurl = "http://127.0.0.1:1"\n[execution]\nleverage = 3\n',
    "unknown key": '[venues.main]\nexchange = "bybit"\nmode = "sim"\nurl = "http://127.0.0.1:1"\nlevrage = 1\n',
    "negative ratio": '[venues.main]\nexchange = "bybit"\nmode = "sim"\nurl = "http://127.0.0.1:1"\n'
    "[policy]\nratio = -0.5\n",
}
EXPECTED_KEY = {
    "leverage": "execution.leverage",
    "unknown key": "venues.main.levrage",
    "negative ratio": "policy.ratio",
}


def test_help_when_asked_then_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert name in text


def test_check_config_when_example_then_exit_0_and_secrets_masked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(EXAMPLE_CONFIG)]) == 0
    text = capsys.readouterr().out
    assert "OK:" in text
    assert "hedgebot-sim-secret" not in text
    assert "**********" in text


def test_check_config_when_readme_override_lowers_max_order_notional_then_exit_0(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # README: `HEDGEBOT_RISK__MAX_ORDER_NOTIONAL=500` on the example, whose slice_max_notional is 2000.
    monkeypatch.setenv("HEDGEBOT_RISK__MAX_ORDER_NOTIONAL", "500")
    assert main(["check-config", str(EXAMPLE_CONFIG)]) == 0
    assert 'max_order_notional = "500"' in capsys.readouterr().out


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_check_config_when_invalid_then_exit_2_naming_the_key_without_traceback(
    case: str, tmp_path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOPE_TEST_API_KEY", raising=False)
    path = tmp_path / "bad.toml"
    path.write_text(BAD_CONFIGS[case])
    assert main(["check-config", str(path)]) == 2
    captured = capsys.readouterr()
    assert EXPECTED_KEY[case] in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_check_config_when_run_as_a_process_then_no_traceback_and_exit_2(tmp_path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_CONFIGS["leverage"])
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-config", str(path)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 2
    assert "execution.leverage" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_when_json_then_prints_the_effective_configuration(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check-config", str(EXAMPLE_CONFIG), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["execution"]["leverage"] == "1"
    assert set(data["credentials"]["main"]["secret"]) == {"*"}  # masked, whatever the mask's length


def exit_code(argv: list[str]) -> int:
    """``main``'s exit code, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["journal", "nonsense"], "invalid choice: 'nonsense'"),  # argparse's own
        (["journal", "why", "--journal", "unused.sqlite"], "hedgebot journal: why: name the holding"),
        (
            ["scenario", "--config", str(EXAMPLE_CONFIG), "--holding", "ZZZ=5"],
            "hedgebot scenario: --price: no price for ZZZ",
        ),
        (["replay", "--data", "."], "hedgebot replay: --data: needs --from"),
        (["replay", "--from", "2022-07-01", "--to", "2022-07-02"], "is outside the market data"),
        (["sim", "--host", "0.0.0.0"], "hedgebot sim: --host: refusing 0.0.0.0: not a loopback address"),
    ],
    ids=["argparse", "journal why", "scenario", "replay --data", "replay window", "sim --host"],
)
def test_cli_when_a_usage_error_in_any_subcommand_then_exit_2_saying_what_to_type(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./hedgebot.toml: replay's sample portfolio
    monkeypatch.delenv("HEDGEBOT_CONFIG", raising=False)
    assert exit_code(argv) == 2
    assert message in capsys.readouterr().err
