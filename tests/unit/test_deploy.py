"""Specification of running hedgebot as a service: the Dockerfile, the systemd units and the compose file start real
commands with real paths, restart on what a supervisor should restart on, and never on what needs a person.

Docker cannot run here (no engine): the image's install step is checked against exactly the files the Dockerfile
copies (every package and its data are among them); systemd-analyze verifies the units where it is installed."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from setuptools import find_namespace_packages

from bot.cli.main import build_parser
from bot.config import load_config
from bot.exit_codes import EXIT_CONFIG, EXIT_HALTED, EXIT_NEEDS_OPERATOR
from tests.conftest import EXAMPLE_CONFIG, ROOT

DOCKERFILE = ROOT / "Dockerfile"
UNITS = {"bot": ROOT / "deploy" / "hedgebot.service", "watchdog": ROOT / "deploy" / "hedgebot-watchdog.service"}
COMPOSE = ROOT / "deploy" / "compose.yaml"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined: (KEYWORD, arguments)."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def dockerfile(keyword: str) -> list[str]:
    return [arguments for word, arguments in instructions() if word == keyword]


def docker_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for arguments in dockerfile("ENV"):
        env.update(dict(pair.split("=", 1) for pair in shlex.split(arguments)))
    return env


def copied_sources() -> list[str]:
    return [source for arguments in dockerfile("COPY") for source in shlex.split(arguments)[:-1]]


def test_dockerfile_when_read_then_it_copies_existing_files_and_everything_the_package_needs() -> None:
    sources = copied_sources()
    assert all((ROOT / source).exists() for source in sources), sources
    packages = {pattern.rstrip("*") for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]}
    needed = {PYPROJECT["project"]["readme"], *PYPROJECT["project"]["license-files"], "pyproject.toml"}
    assert packages | needed | {"scripts/constraints.txt"} <= set(sources)


def test_dockerfile_when_started_then_the_entrypoint_and_command_are_hedgebot_run_unattended() -> None:
    (entrypoint,) = dockerfile("ENTRYPOINT")
    (command,) = dockerfile("CMD")
    argv = json.loads(entrypoint) + json.loads(command)
    assert argv[0] in PYPROJECT["project"]["scripts"]  # the console script pip installs
    args = build_parser().parse_args(argv[1:])
    assert (args.command, args.approve, args.log_format) == ("run", "auto", "json")
    assert build_parser().parse_args([*json.loads(entrypoint)[1:], "watchdog"]).command == "watchdog"


def test_dockerfile_when_run_then_not_as_root_and_the_journal_and_kill_switch_on_the_data_volume() -> None:
    (user,) = dockerfile("USER")
    assert user not in ("root", "0")
    (volume,) = dockerfile("VOLUME")
    env = docker_env()
    config = load_config(EXAMPLE_CONFIG, env=env)  # the image's environment over a real configuration
    data = Path(json.loads(volume)[0])
    assert config.journal.path.parent == data
    assert config.risk.kill_switch_file.parent == data
    assert env["HEDGEBOT_CONFIG"].startswith("/config/")
    assert dockerfile("STOPSIGNAL") == ["SIGTERM"]


def test_dockerfile_when_its_install_step_runs_on_what_it_copies_then_every_package_and_its_data_are_there(
    tmp_path: Path,
) -> None:
    context = tmp_path / "src"
    for source in copied_sources():
        target = context / source
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / source).is_dir():
            shutil.copytree(ROOT / source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / source, target)
    include = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    in_image = find_namespace_packages(where=str(context), include=include)
    assert sorted(in_image) == sorted(find_namespace_packages(where=str(ROOT), include=include))
    for package, patterns in PYPROJECT["tool"]["setuptools"]["package-data"].items():
        for pattern in patterns:
            assert sorted(p.relative_to(context) for p in (context / package).glob(pattern)) == sorted(
                p.relative_to(ROOT) for p in (ROOT / package).glob(pattern) if "__pycache__" not in p.parts
            )


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, comment_prefixes=("#",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string(UNITS[name].read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize(("name", "command"), [("bot", "run"), ("watchdog", "watchdog")])
def test_systemd_unit_when_started_then_exec_start_is_valid_shell_and_a_hedgebot_command(
    name: str, command: str
) -> None:
    exec_start = unit(name)["Service"]["ExecStart"]
    assert subprocess.run(["bash", "-n", "-c", exec_start], check=False).returncode == 0
    argv = shlex.split(exec_start)
    assert argv[0].endswith("/.venv/bin/hedgebot")  # what scripts/_bootstrap.sh installs in the checkout
    assert build_parser().parse_args(argv[1:]).command == command
    service = unit(name)["Service"]
    assert service["ReadWritePaths"] == service["WorkingDirectory"]  # the journal's folder is writable


def test_systemd_bot_unit_when_it_exits_then_restarted_after_a_failure_never_when_a_person_is_needed() -> None:
    service = unit("bot")["Service"]
    assert service["Restart"] == "on-failure"
    assert {int(code) for code in service["RestartPreventExitStatus"].split()} == {
        EXIT_CONFIG,
        EXIT_HALTED,
        EXIT_NEEDS_OPERATOR,
    }
    assert service["KillSignal"] == "SIGTERM"
    assert "hedgebot-watchdog.service" in unit("bot")["Unit"]["Wants"].split()


def test_systemd_watchdog_unit_when_the_bot_stops_then_it_runs_on() -> None:
    watchdog = unit("watchdog")
    assert watchdog["Service"]["Restart"] == "always"
    assert not {"PartOf", "BindsTo", "Requires"} & set(watchdog["Unit"])


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_units_when_verified_by_systemd_then_no_complaint(tmp_path: Path) -> None:
    hedgebot = Path(sys.executable).parent / "hedgebot"
    for path in UNITS.values():  # pointed at this checkout's hedgebot, which exists here
        text = path.read_text(encoding="utf-8").replace("/opt/hedgebot/.venv/bin/hedgebot", str(hedgebot))
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(f"./{path.name}" for path in UNITS.values())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    complaints = [line for line in result.stderr.splitlines() if "hedgebot" in line]
    assert complaints == []


def test_compose_file_when_read_then_both_commands_are_hedgebot_commands_from_the_repositorys_dockerfile() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    commands = [json.loads(found) for found in re.findall(r"command: (\[.*\])", text)]
    (entrypoint,) = dockerfile("ENTRYPOINT")
    parsed = [build_parser().parse_args([*json.loads(entrypoint)[1:], *argv]).command for argv in commands]
    assert parsed == ["run", "watchdog"]
    assert "build: { context: .., dockerfile: Dockerfile }" in text
    assert (COMPOSE.parent / ".." / "Dockerfile").resolve() == DOCKERFILE
