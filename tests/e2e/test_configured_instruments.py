"""End to end: the hedge instruments the configuration names are checked at the venue before anything is done.

`hedgebot plan` and `hedgebot run` refuse an instrument the venue does not list, naming the configuration key and
the listed perpetuals closest to it, before any order or account setting; and the bot sets nothing up on an
instrument the configuration routes no hedge to.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.execution.run import RunOptions
from bot.exit_codes import EXIT_NEEDS_OPERATOR
from hedgesim import SimConfig, SimExchange, running_sim
from tests.e2e.crash_rig import write_config
from tests.e2e.harness import running_bot
from tests.support.bot_process import hedgebot

pytestmark = pytest.mark.e2e
D = Decimal
SIM_DEFAULT_LEVERAGE = D(10)


@pytest.mark.slow
@pytest.mark.parametrize("command", [["plan"], ["run", "--once"]], ids=["plan", "run"])
@pytest.mark.parametrize(
    ("hedges", "message"),
    [
        (
            '[hedges.SOL]\ninstrument = "NOPE/USDT:USDT"\n',
            "hedges.SOL.instrument: NOPE/USDT:USDT is not listed (closest listed: SOL/USDT:USDT, ",
        ),
        (
            '[hedges.SOL]\nproxy = "ETHH/USDT:USDT"\n',
            "hedges.SOL.proxy: ETHH/USDT:USDT is not listed (closest listed: ETH/USDT:USDT, ",
        ),
        (
            '[policy.proxy]\ndefault_instrument = "BTC/USDC:USDC"\n',
            "policy.proxy.default_instrument: BTC/USDC:USDC is not listed (closest listed: BTC/USDT:USDT, ",
        ),
    ],
    ids=["instrument", "proxy", "default proxy"],
)
async def test_start_when_a_configured_instrument_is_not_listed_then_exit_4_naming_the_key_before_any_change(
    tmp_path: Path, command: list[str], hedges: str, message: str
) -> None:
    engine = SimExchange.realtime(SimConfig(balances={"USDT": D(60000), "SOL": D(100), "ETH": D(2)}, rate_limits=False))
    async with running_sim(engine=engine) as sim:
        config = write_config(tmp_path, sim.url)
        config.write_text(config.read_text() + hedges, encoding="utf-8")
        code, printed = await hedgebot([*command, "--config", str(config)], tmp_path / "bot.log")
        changes = [r.path for r in sim.requests if r.method == "POST"]
    assert code == EXIT_NEEDS_OPERATOR, printed  # a person must fix the configuration: never restarted
    assert message in printed
    assert changes == []  # no order, no leverage, margin or position mode set: not even for ETH, which is listed
    assert engine.venue.orders.open_orders() == []


async def test_start_when_a_holding_is_hedged_by_proxy_then_its_own_perpetual_is_left_alone(tmp_path: Path) -> None:
    async with running_bot(
        tmp_path,
        balances={"USDT": D(60000), "SOL": D(100)},
        hedges={"SOL": {"proxy": "ETH/USDT:USDT", "beta": 1}},
        start_loop=False,
    ) as bot:
        await bot.start(RunOptions())
        await bot.cycle()
        assert bot.leverage("ETHUSDT") == 1  # the configured proxy is set up
        assert bot.leverage("SOLUSDT") == SIM_DEFAULT_LEVERAGE  # SOL's own perpetual is never traded: untouched
        assert bot.position("ETHUSDT") < 0
