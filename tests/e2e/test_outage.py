"""End to end through venue outages: trading pauses while the venue cannot be read and resumes by itself.

Found by held-out probes (issue 13): any read outage longer than the read retries (a 503 for more than about
1.3 s, a 20 s maintenance window, 8 s of 10006) halted the bot until `--resume`.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.events import AlertEvent, AlertKind
from bot.cli.run import cycle_line
from bot.cli.unwind import _nothing_left_to_send as nothing_left_to_send
from bot.domain import TradingState
from bot.errors import PreflightError
from bot.exchange.retry import RetryPolicy
from bot.execution.outage import JOURNAL_BACK, JOURNAL_DOWN
from bot.execution.summary import CycleOutcome
from bot.journal import open_reader
from hedgesim import SimConfig, SimExchange, running_sim
from tests.alerts.receiver import running_receiver
from tests.e2e.crash_rig import start_bot, write_config
from tests.e2e.harness import Harness, running_bot
from tests.e2e.test_alerts import TimedSink, alerting
from tests.support.bot_process import log_since, log_tail, reap, wait_for_log, wait_until

pytestmark = pytest.mark.e2e
D = Decimal
SOL_HOLDER = {"USDT": D(40000), "SOL": D(100)}
QUICK_RETRIES = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02, rate_limited_delay=0.01)
CREATE = "/v5/order/create"
OUTAGES = [
    pytest.param({"kind": "maintenance"}, id="503 maintenance"),
    pytest.param({"kind": "http_error", "status": 502}, id="502"),
    pytest.param({"kind": "rate_limit"}, id="10006"),
    pytest.param({"kind": "ip_ban"}, id="403 ip ban"),
    pytest.param({"kind": "network_cut"}, id="network cut"),
]  # clock skew needs the venue's clock to be the machine's: the chaos run (tests/chaos) covers it


def journaled(bot: Harness, kind: str) -> list[str]:
    with open_reader(bot.config.journal.path) as reader:
        return [row.message for row in reader.errors(kind=kind)]


def resting(bot: Harness) -> set[str]:
    return {o.link_id for o in bot.engine.venue.orders.open_orders()}


def creates(bot: Harness) -> int:
    return sum(1 for r in bot.sim.requests if r.path == CREATE)


@pytest.mark.parametrize("fault", OUTAGES)
async def test_cycle_when_venue_unreadable_past_the_retries_then_paused_and_resumed_by_itself(
    tmp_path: Path, fault: dict[str, Any]
) -> None:
    async with running_bot(tmp_path, balances=SOL_HOLDER, retry=QUICK_RETRIES) as bot:
        await bot.cycle(wait=timedelta(0))
        before, sent = resting(bot), creates(bot)
        assert before
        outage = bot.sim.fault(**fault)
        paused = [await bot.cycle(wait=timedelta(seconds=10)) for _ in range(3)]
        assert all(p.skipped_because for p in paused)
        assert {p.state for p in paused} == {TradingState.ACTIVE}  # not halted
        assert creates(bot) == sent  # nothing sent while the venue could not be read
        assert resting(bot) <= before  # our resting orders left as they were (some may have filled)
        bot.sim.faults.remove(outage)
        back = await bot.cycle(wait=timedelta(0))
        assert back.skipped_because is None
        assert back.state is TradingState.ACTIVE
        assert len(journaled(bot, JOURNAL_DOWN)) == 1  # once per outage, not once per cycle
        assert len(journaled(bot, JOURNAL_BACK)) == 1
        assert "3 cycle(s) paused" in journaled(bot, JOURNAL_BACK)[0]


async def test_outage_when_it_lasts_max_outage_then_resting_orders_cancelled_and_alerted_once(tmp_path: Path) -> None:
    with running_receiver() as receiver:
        async with running_bot(
            tmp_path, balances=SOL_HOLDER, retry=QUICK_RETRIES, risk={"max_outage": "5s"},
            alert_sink=TimedSink, **alerting(receiver, "webhook"),
        ) as bot:  # fmt: skip
            assert isinstance(bot.alerts, TimedSink)
            told = bot.alerts.events  # what the run told its alerts, as it told them

            def outage_alerts() -> list[AlertEvent]:
                return [a for a in told if a.kind in {AlertKind.VENUE_UNREACHABLE, AlertKind.VENUE_REACHABLE}]

            await bot.cycle(wait=timedelta(0))
            assert resting(bot)
            outage = bot.sim.fault("maintenance", path="/v5/market/*")  # prices unreadable; orders can be cancelled
            await bot.cycle(wait=timedelta(seconds=4))
            await bot.cycle(wait=timedelta(seconds=1))
            assert resting(bot)  # 4 s into the outage, within risk.max_outage: left as they are
            assert not outage_alerts()
            await bot.cycle(wait=timedelta(0))
            assert not resting(bot)  # 5 s into it: cancelled
            assert [a.kind for a in outage_alerts()] == [AlertKind.VENUE_UNREACHABLE]
            await bot.cycle(wait=timedelta(seconds=30))
            assert len(outage_alerts()) == 1  # one alert per outage
            bot.sim.faults.remove(outage)
            back = await bot.cycle(wait=timedelta(0))
            assert back.skipped_because is None
            alerts = outage_alerts()
            assert [a.kind for a in alerts] == [AlertKind.VENUE_UNREACHABLE, AlertKind.VENUE_REACHABLE]
            assert alerts[0].key in alerts[1].clears
            assert resting(bot)  # trading again
        delivered = [r.body for r in receiver.delivered()]
    kinds = [body["kind"] for body in delivered if isinstance(body, dict)]
    assert kinds.count(AlertKind.VENUE_UNREACHABLE.value) == 1  # delivered, once


async def test_start_when_venue_unreadable_then_refused_without_halting(tmp_path: Path) -> None:
    balances = {"USDT": D(100000), "SOL": D(100)}
    async with running_bot(tmp_path, balances=balances, retry=QUICK_RETRIES, start_loop=False) as bot:
        await bot.start()
        await bot.cycle(wait=timedelta(0))
        outage = bot.sim.fault("maintenance", path="/v5/order/*")  # the preflight passes; reconciliation cannot
        with pytest.raises(PreflightError, match="cannot be read"):
            await bot.restart("again1").start()
        bot.sim.faults.remove(outage)
        await bot.restart("again2").start()  # no --resume needed
        assert (await bot.cycle(wait=timedelta(0))).state is TradingState.ACTIVE


def paused_cycle() -> CycleOutcome:
    return CycleOutcome(
        7, TradingState.ACTIVE, D(0), D(0), (), skipped_because="venue unreadable: ExchangeUnavailable: 503"
    )


def test_cycle_line_when_paused_then_says_nothing_was_sent_and_why() -> None:
    line = cycle_line(paused_cycle(), datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert line == "12:00:00 #7 active: skipped, nothing sent: venue unreadable: ExchangeUnavailable: 503 [0 placed]"


def test_unwind_when_a_cycle_is_paused_then_it_is_never_taken_for_flat() -> None:
    assert not nothing_left_to_send(paused_cycle())  # its empty instrument list says nothing about positions


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sent", "exit_code", "state", "said"),
    [
        (signal.SIGTERM, 1, TradingState.ACTIVE, "stopped, but the venue cannot be read"),
        (signal.SIGUSR1, 3, TradingState.HALTED, "HALTED: halt signal received (SIGUSR1). The venue cannot be read"),
    ],
    ids=["SIGTERM stops, not halted", "SIGUSR1 halts"],
)
async def test_run_when_signalled_during_an_outage_then_ends_as_asked_and_says_its_orders_are_left(
    tmp_path: Path, sent: signal.Signals, exit_code: int, state: TradingState, said: str
) -> None:
    engine = SimExchange.realtime(SimConfig(balances={"USDT": D(60000), "SOL": D(100)}, rate_limits=False))
    async with running_sim(engine=engine) as sim:
        config = write_config(tmp_path, sim.url)
        config.write_text(
            config.read_text().replace('interval = "0.5s"', 'interval = "0.5s"\npassive_offset_ticks = 100')
        )
        log = tmp_path / "bot.log"
        bot = await start_bot(config, cycles=1000, log=log)
        try:
            assert await wait_until(lambda: len(engine.venue.orders.open_orders()) >= 5), log_tail(log)
            sim.fault("maintenance")  # from now on the venue answers nothing but 503
            await wait_for_log(log, "venue.unreachable")
            bot.send_signal(sent)
            code = await asyncio.wait_for(bot.wait(), timeout=30)
        finally:
            await reap(bot)
        assert code == exit_code, log_tail(log)
        assert said in log_since(log)
        assert engine.venue.orders.open_orders()  # left on the book, as said
        with open_reader(tmp_path / "journal.sqlite") as journal:
            latest = journal.latest_risk_state()
            assert (latest.trading if latest else TradingState.ACTIVE) is state
        with sqlite3.connect(tmp_path / "journal.sqlite") as conn:
            ended = conn.execute(
                "SELECT COUNT(*) FROM runs LEFT JOIN run_stops USING (run_id) WHERE stopped_ms IS NULL"
            )
            assert ended.fetchone() == (0,)  # recorded as ended all the same
