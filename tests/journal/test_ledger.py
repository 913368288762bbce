"""Specification of the ledger queries `hedgebot status` reads: a hedge's history (its own fills, funding, adoption),
prices at past moments, the last reason per holding, the latest heartbeat, and the schema-2 migration."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.domain import ReasonCode, Side, TradingState
from bot.journal import (
    SCHEMA_VERSION,
    CycleRecord,
    HoldingDecisionRecord,
    InstrumentDecisionRecord,
    Journal,
    open_journal,
)
from bot.journal.schema import MIGRATIONS
from tests.factories import NOW
from tests.journal.factories import MARKETS, RUN, VENUE, new_journal, sol_fill, sol_funding
from tests.risk.factories import SOL

D = Decimal
DAY_START = NOW.replace(hour=0)


@pytest.fixture
def journal(tmp_path: Path) -> tuple[Journal, ManualClock]:
    journal, clock, _ = new_journal(tmp_path, start=NOW - timedelta(days=2))
    journal.start_run(RUN, mode="sim", config_hash="c0ffee", version="0.1.0")
    return journal, clock


def cycle(journal: Journal, clock: ManualClock, number: int, sol: str, perp: str, reason: ReasonCode) -> None:
    """A cycle at the clock's time that valued SOL at ``sol`` and saw the SOL perp marked at ``perp``."""
    cycle_id = journal.record_cycle(CycleRecord(RUN, number, clock.now(), TradingState.ACTIVE, D(0), D(0)))
    journal.record_decisions(
        cycle_id,
        [
            HoldingDecisionRecord("SOL", reason, SOL, value=D(100) * D(sol), price=D(sol), quantity=D(100)),
            InstrumentDecisionRecord(SOL, reason, price=D(perp)),
        ],
    )


def test_leg_history_when_fills_and_funding_then_ours_from_the_first_fill_and_the_mark_before_midnight(
    journal: tuple[Journal, ManualClock],
) -> None:
    j, clock = journal
    first = clock.now() + timedelta(minutes=1)
    cycle(j, clock, 1, "200", "201", ReasonCode.REBALANCE)
    j.record_fills(
        VENUE,
        [
            sol_fill("t1", Side.SELL, "40", "200", first),
            sol_fill("manual", Side.SELL, "5", "199", first, client_order_id=""),  # by hand: not the bot's
            sol_fill("t2", Side.BUY, "10", "160", DAY_START + timedelta(hours=8)),
        ],
        MARKETS,
    )
    j.record_funding(
        VENUE, [sol_funding(first - timedelta(hours=1), "9"), sol_funding(first + timedelta(hours=7), "2")]
    )
    clock.set(DAY_START - timedelta(minutes=5))
    cycle(j, clock, 2, "170", "171", ReasonCode.HEDGED_WITHIN_BAND)
    clock.set(DAY_START + timedelta(minutes=5))
    cycle(j, clock, 3, "168", "169", ReasonCode.HEDGED_WITHIN_BAND)

    leg = j.leg_history(VENUE, SOL, D(1), day_start=DAY_START, quote="USDT")
    assert leg.opened_at == first
    assert [f.trade_id for f in leg.fills] == ["t1", "t2"]
    assert [p.amount for p in leg.funding] == [D(2)]  # settled before the opening: not the hedge's
    assert leg.day_start_mark == D(171)
    assert (leg.start_contracts, leg.start_price, leg.contracts) == (D(0), None, D(-30))


def test_leg_history_when_a_position_was_adopted_then_it_starts_there_with_the_mark_then(
    journal: tuple[Journal, ManualClock],
) -> None:
    j, clock = journal
    adopted = clock.now() + timedelta(hours=1)
    j.record_fills(VENUE, [sol_fill("old", Side.SELL, "10", "190", clock.now())], MARKETS)
    j.record_position_baseline(VENUE, SOL, D(-50), as_of=adopted, reason="--adopt", run_id=RUN, price=D(180))
    j.record_fills(VENUE, [sol_fill("new", Side.SELL, "5", "181", adopted + timedelta(minutes=1))], MARKETS)
    leg = j.leg_history(VENUE, SOL, D(1), day_start=DAY_START, quote="USDT")
    assert (leg.opened_at, leg.start_contracts, leg.start_price) == (adopted, D(-50), D(180))
    assert [f.trade_id for f in leg.fills] == ["new"]


def test_leg_history_when_never_traded_then_not_opened(journal: tuple[Journal, ManualClock]) -> None:
    j, _ = journal
    leg = j.leg_history(VENUE, SOL, D(1), day_start=DAY_START, quote="USDT")
    assert (leg.opened_at, leg.fills, leg.funding) == (None, (), ())


def test_spot_history_when_cycles_around_the_moments_then_the_last_before_else_the_first_after(
    journal: tuple[Journal, ManualClock],
) -> None:
    j, clock = journal
    opened = clock.now() - timedelta(minutes=1)  # before the first cycle: its price is the first after
    cycle(j, clock, 1, "200", "201", ReasonCode.REBALANCE)
    clock.set(DAY_START - timedelta(hours=1))
    cycle(j, clock, 2, "170", "171", ReasonCode.HEDGED_WITHIN_BAND)
    clock.set(DAY_START + timedelta(hours=1))
    cycle(j, clock, 3, "160", "161", ReasonCode.HEDGED_WITHIN_BAND)
    assert j.spot_history("SOL", opened, DAY_START).at_open == D(200)
    assert j.spot_history("SOL", opened, DAY_START).at_day_start == D(170)
    later = DAY_START + timedelta(hours=2)  # opened today: "today" starts at the opening
    assert j.spot_history("SOL", later, DAY_START).at_day_start == D(160)
    assert j.spot_history("ETH", opened, DAY_START).at_open is None


def test_last_reasons_when_several_cycles_then_each_holdings_newest(journal: tuple[Journal, ManualClock]) -> None:
    j, clock = journal
    cycle(j, clock, 1, "200", "201", ReasonCode.REBALANCE)
    clock.advance(timedelta(seconds=30))
    cycle(j, clock, 2, "200", "201", ReasonCode.HEDGED_WITHIN_BAND)
    assert j.last_reasons() == {"SOL": "hedged_within_band"}


def unwind_cycle(journal: Journal, clock: ManualClock, number: int, reason: ReasonCode) -> None:
    """A `hedgebot unwind` cycle: it decides for the SOL perp only, never for a holding."""
    cycle_id = journal.record_cycle(CycleRecord(RUN, number, clock.now(), TradingState.ACTIVE, D(0), D(0)))
    journal.record_decisions(cycle_id, [InstrumentDecisionRecord(SOL, reason, price=D(150))])


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ("unwind", "unwind"),  # `hedgebot unwind` bought the hedge back: no longer hedged within band
        ("unwind then run", "rebalance"),  # the next run's own reason wins again
        ("nothing", "hedged_within_band"),
    ],
)
def test_last_reasons_when_the_hedge_instrument_is_unwound_later_then_unwind(
    journal: tuple[Journal, ManualClock], after: str, expected: str
) -> None:
    j, clock = journal
    cycle(j, clock, 1, "200", "201", ReasonCode.HEDGED_WITHIN_BAND)
    if after != "nothing":
        clock.advance(timedelta(seconds=30))
        unwind_cycle(j, clock, 2, ReasonCode.UNWIND)
    if after == "unwind then run":
        clock.advance(timedelta(seconds=30))
        cycle(j, clock, 3, "200", "201", ReasonCode.REBALANCE)
    assert j.last_reasons() == {"SOL": expected}


def test_latest_heartbeat_when_beats_then_the_newest_the_runs_last_switch_state_and_whether_it_ended(
    journal: tuple[Journal, ManualClock],
) -> None:
    j, clock = journal
    assert j.latest_heartbeat() is None
    j.record_heartbeat(RUN, switch="armed: okx cancel-all-after, 60s")
    clock.advance(timedelta(seconds=20))
    j.record_heartbeat(RUN)
    beat = j.latest_heartbeat()
    assert beat is not None
    assert (beat.run_id, beat.at, beat.switch, beat.stopped) == (
        RUN,
        clock.now(),
        "armed: okx cancel-all-after, 60s",
        False,
    )
    j.stop_run(RUN, exit_code=0, reason="done")
    assert j.latest_heartbeat().stopped  # type: ignore[union-attr]


def test_open_journal_when_schema_1_then_migrated_keeping_rows_with_unknown_prices(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.executescript(f"BEGIN;\n{MIGRATIONS[0]}\nPRAGMA user_version = 1;\nCOMMIT;")
    raw.execute("INSERT INTO runs VALUES ('r1run1', 0, 'sim', 'c0ffee', '0.1.0', '{}')")
    raw.execute("INSERT INTO cycles VALUES (1, 'r1run1', 1, 0, 'active', '0', '0', '{}')")
    raw.execute(
        "INSERT INTO decisions (cycle_id, asset, symbol, reason, note) VALUES (1, 'SOL', ?, 'rebalance', '')", (SOL,)
    )
    raw.close()
    journal = open_journal(path, ManualClock(NOW))
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION  # every one ran
    (row,) = journal.why("SOL")
    assert (row.decision.reason, row.decision.price, row.decision.quantity) == (ReasonCode.REBALANCE, None, None)
    journal.record_heartbeat("r1run1")
    assert journal.latest_heartbeat() is not None
