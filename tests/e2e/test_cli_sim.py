"""Specification of `hedgebot sim`: it serves until told to stop, prints where and with which key, exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

import aiohttp
import pytest

from bot.cli.main import main
from hedgesim import bybit_client
from hedgesim.credentials import SIM_API_KEY, SIM_API_SECRET
from tests.conftest import ROOT
from tests.sim.conftest import TEST_CLIENT

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
async def test_sim_when_started_on_a_port_then_serves_prints_key_and_secret_and_exits_0_on_signal(
    stop: signal.Signals,
) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sim", "--port", str(port), "--speed", "60", "--control-token", "cli-token",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    printed = []
    while not printed or "Stop with Ctrl-C" not in printed[-1]:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=20)
        assert line, "hedgebot sim exited before announcing itself"
        printed.append(line.decode())
    text = "".join(printed)
    for expected in (f"http://127.0.0.1:{port}", SIM_API_KEY, SIM_API_SECRET, "Authorization: Bearer cli-token"):
        assert expected in text
    client = bybit_client(f"http://127.0.0.1:{port}", SIM_API_KEY, SIM_API_SECRET, **TEST_CLIENT)
    try:
        assert (await client.fetch_balance())["USDT"]["total"] == 10000.0
    finally:
        await client.close()
    state = f"http://127.0.0.1:{port}/__sim/state"
    async with (
        aiohttp.ClientSession() as session,
        session.get(state) as refused,
        session.get(state, headers={"Authorization": "Bearer cli-token"}) as ok,
    ):
        assert (refused.status, ok.status) == (401, 200)
    process.send_signal(stop)
    assert await asyncio.wait_for(process.wait(), timeout=20) == 0


def test_sim_help_when_asked_then_explains_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["sim", "--help"])
    text = capsys.readouterr().out
    assert info.value.code == 0
    for option in (
        "--port",
        "--sample",
        "--start",
        "--speed",
        "--balance",
        "--fees",
        "/__sim/",
        "--control-token",
        "Authorization: Bearer",
        "--allow-remote",
    ):
        assert option in text


def test_sim_when_key_permissions_unreadable_then_usage_error_naming_the_word(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["sim", "--key-permissions", "trade,teleport"])
    assert info.value.code == 2
    assert "'teleport': expected read-only, trade" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--speed", "nan"], "argument --speed: 'nan': expected a number above 0"),
        (["--speed", "0"], "argument --speed: '0': expected a number above 0"),
        (["--leverage", "NaN"], "argument --leverage: 'NaN': expected a number above 0"),
        (["--leverage", "-2"], "argument --leverage: '-2': expected a number above 0"),
        (["--fees", "nan,0.00055"], "argument --fees: 'nan,0.00055': expected rates between -1 and 1"),
        (["--fees", "0.0002,Infinity"], "argument --fees: '0.0002,Infinity': expected rates between -1 and 1"),
        (["--balance", "USDT=1e400"], "argument --balance: 'USDT=1e400': expected ASSET=QTY with QTY from 0 to"),
    ],
)
def test_sim_when_a_number_is_not_finite_or_out_of_range_then_usage_error_naming_the_option(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["sim", "--port", "0", *argv])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])
def test_sim_when_host_is_not_loopback_then_refused_as_a_usage_error(
    capsys: pytest.CaptureFixture[str], host: str
) -> None:
    assert main(["sim", "--host", host, "--port", "0"]) == 2
    assert f"--host: refusing {host}: not a loopback address" in capsys.readouterr().err


def test_sim_when_port_is_taken_then_says_so_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["sim", "--port", str(port)]) == 1
    assert "cannot listen" in capsys.readouterr().err


def test_sim_when_the_sample_is_unknown_then_names_the_bundled_ones_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sim", "--sample", "1987-black-monday", "--port", "0"]) == 1
    text = capsys.readouterr().err
    assert "hedgebot sim: no market data sample '1987-black-monday'" in text
    assert "2025-10-liquidation-cascade" in text
