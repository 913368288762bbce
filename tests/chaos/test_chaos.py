"""The chaos harness end to end: a short seeded run keeps every invariant, and a bug seeded into the bot fails it.

The long run is for release checks (`scripts/chaos --seed 1 --hours 24`, figures in RELIABILITY.md); this one is
two simulated hours at 120x, about a minute and a half of wall time. The seeded bugs run a copy of one module of
the bot with one line changed (``tests.chaos.seeded_bug``) under a schedule made to provoke them; the sound bot
runs through those schedules without a violation, so it is the bug that fails the run.
"""

from __future__ import annotations

import asyncio
import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.chaos.run import Options, run
from tests.chaos.schedule import Fault, Kind, Schedule, Transfer
from tests.support.invariants import Invariant

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="the killer signals through a pidfd (Linux 5.3+)"),
]
D = Decimal
SEED = int(os.environ.get("HEDGEBOT_CHAOS_SEED", "2"))
BOUND = 30.0  # seconds the bot may stay out of band once calm, for the seeded half hedge (shorter than by default)
PATIENT = 90.0  # for the other seeded bugs: a busy machine's slowly built hedge must not end their runs first


@pytest.mark.timeout(300)
async def test_chaos_when_a_short_seeded_run_then_every_invariant_holds(tmp_path: Path) -> None:
    summary = await run(Options(out=tmp_path, seed=SEED, hours=2, speed=120))
    report = "\n".join([summary.line(), *map(str, summary.violations)])
    assert summary.ok, report
    assert len(summary.faults) >= 8, report
    assert summary.restarts >= 1, report
    assert summary.fills > 0, report
    assert summary.checks > 0, report  # the journal was held against the venue while the bot ran


def lost_creates() -> Schedule:
    """Order creations whose answers are lost, while the holdings grow: the bot has orders to place."""
    lost = [Fault(at, Kind.LOST_RESPONSE, 0.0, "/v5/order/create", times=1, delay=5.0) for at in range(1, 19, 3)]
    grow = [Transfer(at, asset, D("0.2")) for at, asset in ((6, "SOL"), (12, "ETH"))]
    return Schedule(tuple(lost), tuple(grow), 20.0, ((0.0, 18.0),))


def a_withdrawal() -> Schedule:
    """A quarter of the SOL withdrawn once the hedge is built (however long a busy machine takes to build it): the bot
    buys a quarter of its short back. A seeded bug ends the run at its first violation."""
    return Schedule((), (Transfer(8, "SOL", D("-0.25"), once_hedged=True),), 45.0, ((0.0, 10.0),))


def calm() -> Schedule:
    """Nothing at all: the bot builds its hedge and keeps it."""
    return Schedule((), (), 20.0, ((0.0, 0.0),))


def provoking() -> Schedule:
    """Every schedule the seeded bugs run under, at once."""
    lost, withdrawal = lost_creates(), a_withdrawal()
    transfers = tuple(sorted([*lost.transfers, *withdrawal.transfers], key=lambda t: t.at))
    return Schedule(lost.faults, transfers, 45.0, ((0.0, 18.0),))


SEEDED = [  # bug, the schedule that provokes it, the bound, the invariant that must catch it
    ("blind_retry", lost_creates, PATIENT, Invariant.ONE_ORDER_PER_INTENT),  # blind retry of a create
    ("no_reduce_only", a_withdrawal, PATIENT, Invariant.REDUCE_ONLY),  # a reduction without reduce-only
    ("half_hedge", calm, BOUND, Invariant.BACK_IN_BAND),  # a hedge that never reaches its band
]


@pytest.mark.timeout(240)
async def test_chaos_when_a_bug_is_seeded_into_the_bot_then_the_run_fails_naming_its_invariant_and_the_sound_bot_does_not(
    tmp_path: Path,
) -> None:
    """The sound bot under every provoking schedule at once, and each seeded bug under its own, side by side (each
    run its own simulator, bot process and journal): their wall time is the longest run's, not the sum."""
    sound = run(Options(out=tmp_path / "sound", speed=120, schedule=provoking()))
    seeded = [
        run(Options(out=tmp_path / bug, speed=120, schedule=schedule(), bound=bound, fail_fast=True,
                    runner=("-m", "tests.chaos.seeded_bug", bug)))
        for bug, schedule, bound, _ in SEEDED
    ]  # fmt: skip
    summary, *buggy = await asyncio.gather(sound, *seeded)
    assert summary.ok, "\n".join([summary.line(), *map(str, summary.violations)])
    assert summary.faults == {Kind.LOST_RESPONSE.value: len(lost_creates().faults)}
    for (bug, _, _, caught), found in zip(SEEDED, buggy, strict=True):
        assert caught in {v.invariant for v in found.violations}, f"{bug}: {found.line()}"
