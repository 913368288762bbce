"""Specification of the running bot's side of the dead-man's switch (bot.execution.deadman): heartbeats in the
journal, the venue's own switch armed, refreshed, journaled when its state changes, and disarmed on a clean stop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.errors import ExchangeUnavailable
from bot.exchange.port import CancelSwitch, SwitchScope
from bot.execution.deadman import DeadMan
from bot.journal import Journal
from bot.journal.schema import connect_writer
from tests.exchange.fake_port import FakePort
from tests.factories import NOW
from tests.journal.factories import RUN
from tests.risk.factories import SOL

OKX_LIKE = CancelSwitch("cancel-all-after", SwitchScope.OUR_ORDERS, False, timedelta(seconds=10), timedelta(minutes=2))


class BeatLog(Journal):
    """The journal, remembering the switch state each heartbeat reported (the journal keeps its run's newest beat)."""

    def __init__(self, path: Path, clock: ManualClock) -> None:
        super().__init__(connect_writer(path), clock)
        self.beats: list[str | None] = []

    def record_heartbeat(self, run_id: str, *, switch: str | None = None) -> None:
        self.beats.append(switch)
        super().record_heartbeat(run_id, switch=switch)


@pytest.fixture
def journal(tmp_path: Path) -> tuple[BeatLog, ManualClock]:
    clock = ManualClock(NOW)
    journal = BeatLog(tmp_path / "journal.sqlite", clock)
    journal.start_run(RUN, mode="demo", config_hash="c0ffee", version="0.1.0")
    return journal, clock


def deadman(
    journal: tuple[Journal, ManualClock],
    switch: CancelSwitch | None = OKX_LIKE,
    *,
    window: timedelta = timedelta(minutes=2),
    exchange_switch: bool = True,
    on_arm: Callable[[str | None], None] | None = None,
) -> tuple[DeadMan, FakePort]:
    port = FakePort("main", cancel_switch=switch)
    man = DeadMan(port, journal[0], journal[1], RUN, window=window, exchange_switch=exchange_switch, on_arm=on_arm)
    man._symbols = lambda: [SOL]  # what start() is given by the loop
    return man, port


def switch_states(journal: Journal) -> list[str | None]:
    """Each heartbeat's switch state as written (None: unchanged, the run's last one kept)."""
    assert isinstance(journal, BeatLog)
    return journal.beats


async def test_beat_when_the_venue_has_a_switch_then_armed_to_fire_a_window_after_and_journaled_once(
    journal: tuple[Journal, ManualClock],
) -> None:
    man, port = deadman(journal)
    await man.beat()
    await man.beat()
    assert port.called("arm_cancel_switch") == [((SOL,), timedelta(minutes=2))] * 2
    first, again = switch_states(journal[0])
    assert first == "cancel-all-after on main, fires 2m after the last beat (our tagged orders): armed"
    assert again is None  # unchanged: not written again
    assert journal[0].latest_heartbeat().switch == first  # type: ignore[union-attr]
    assert man.every == timedelta(seconds=30)


def test_deadman_when_the_window_is_longer_than_the_switch_allows_then_it_fires_at_its_maximum_and_beats_faster(
    journal: tuple[Journal, ManualClock],
) -> None:
    man, _ = deadman(journal, window=timedelta(minutes=10))
    assert (man.fires_after, man.every) == (timedelta(minutes=2), timedelta(seconds=30))


async def test_beat_when_arming_fails_then_journaled_once_told_each_time_the_heartbeat_goes_on_and_recovery_is_journaled(
    journal: tuple[Journal, ManualClock],
) -> None:
    told: list[str | None] = []
    man, port = deadman(journal, on_arm=told.append)
    port.failures["arm_cancel_switch"] = ExchangeUnavailable("503 from the venue")
    await man.beat()
    await man.beat()
    del port.failures["arm_cancel_switch"]
    await man.beat()
    assert told == ["503 from the venue", "503 from the venue", None]  # the run alerts, then clears
    assert [e.kind for e in journal[0].errors()] == ["deadman_arm_failed"]  # one error for one failure
    states = switch_states(journal[0])
    assert len(states) == 3  # a heartbeat every time: the bot is alive, whatever the switch does
    assert str(states[0]).endswith("failed: 503 from the venue")
    assert states[1] is None
    assert str(states[2]).endswith("armed")


@pytest.mark.parametrize(("disarm", "disarmed"), [(True, True), (False, False)], ids=["none left", "orders left"])
async def test_stop_when_the_run_ends_then_the_switch_is_disarmed_only_if_no_order_of_ours_rests(
    journal: tuple[Journal, ManualClock], disarm: bool, disarmed: bool
) -> None:
    man, port = deadman(journal)
    await man.beat()
    await man.stop(disarm=disarm)
    assert port.called("disarm_cancel_switch") == ([((SOL,),)] if disarmed else [])
    assert (journal[0].latest_heartbeat().switch or "").endswith(
        "disarmed (the run ended with no resting order of ours)"
    ) is disarmed  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("switch", "wanted", "line"),
    [
        (None, True, "none on venue main (none for ordinary accounts there: run `hedgebot watchdog`)"),
        (OKX_LIKE, False, "off (watchdog.exchange_switch = false)"),
    ],
    ids=["the venue has none", "turned off"],
)
async def test_beat_when_no_switch_to_arm_then_only_the_heartbeat_and_the_banner_says_so(
    journal: tuple[Journal, ManualClock], switch: CancelSwitch | None, wanted: bool, line: str
) -> None:
    man, port = deadman(journal, switch, exchange_switch=wanted)
    await man.beat()
    await man.stop(disarm=True)
    assert port.called("arm_cancel_switch") == port.called("disarm_cancel_switch") == []
    assert man.describe() == (
        f"protection: heartbeat every 30s for `hedgebot watchdog` (window 2m); exchange-side switch: {line}"
    )
    assert switch_states(journal[0]) == [line]


async def test_start_when_running_then_beats_every_quarter_window_until_stopped(
    journal: tuple[Journal, ManualClock],
) -> None:
    man, _ = deadman(journal, None, window=timedelta(seconds=2))
    await man.start(lambda: [SOL])
    for _ in range(200):  # until three beats are journaled, however slow the machine
        if len(switch_states(journal[0])) >= 3:
            break
        await asyncio.sleep(0.05)
    await man.stop(disarm=False)
    beats = len(switch_states(journal[0]))
    assert beats >= 3
    await asyncio.sleep(1.0)  # two beats' time
    assert len(switch_states(journal[0])) == beats  # stopped: no beat after stop
