"""Specification of the journal's growth under the real loop: a replay whose hedge, once built, needs nothing more
writes a bounded number of cycles (one per UTC hour, and one per change), and every cycle it ran is accounted for in
`hedgebot journal`'s runs of unchanged cycles. The figures a day: scripts/bench_journal.py (RELIABILITY.md)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.journal import open_reader
from bot.replay.session import run
from tests.replay.factories import cascade_replay

pytestmark = pytest.mark.e2e


async def test_replay_when_the_hedge_is_built_then_quiet_cycles_extend_runs_and_add_no_cycle_rows(
    tmp_path: Path,
) -> None:
    prepared = cascade_replay(tmp_path, hours=2, step=timedelta(seconds=30))  # 240 cycles through the cascade's hour
    recording = await run(prepared)
    with open_reader(prepared.journal) as reader:
        cycles = reader.last_cycles(1000)
        orders = reader.orders(limit=1000)
    ran = len(recording.steps) - 1
    assert sum(c.repeats + 1 for c in cycles) == ran == 240  # every cycle is in a row of its own or in a run
    acting = [c for c in cycles if c.intents]
    assert orders  # the hedge was built...
    assert acting  # ...by cycles written in full
    quiet = [(c.number, c.latest_number) for c in cycles if not c.intents]
    assert len(quiet) <= 6, quiet  # a cycle seeing the orders fill, and a run from each UTC hour: 20:00 and 21:00
    assert max(c.repeats for c in cycles) >= 100
