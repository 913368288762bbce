"""Specification of runs of unchanged cycles (bot.journal.folding): quiet cycles that decide the same add no rows,
anything that changed writes; what `journal`, `why`, `status` and the watchdog read stays true; the schema-3 migration."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.domain import ReasonCode, Side, TradingState
from bot.journal import SCHEMA_VERSION, HoldingDecisionRecord, Journal, open_journal
from bot.journal.schema import MIGRATIONS
from tests.factories import NOW
from tests.journal.factories import HOUR, MARKETS, RUN, VENUE, hedged_cycle, new_journal, sol_fill, sol_funding
from tests.risk.factories import SOL, sell

D = Decimal
TABLES = ("cycles", "targets", "decisions", "intents", "unchanged_cycles", "policy_states", "heartbeats")


@pytest.fixture
def journal(tmp_path: Path) -> tuple[Journal, ManualClock]:
    journal, clock, _ = new_journal(tmp_path, start=HOUR)
    journal.start_run(RUN, mode="sim", config_hash="c0ffee", version="0.1.0")
    return journal, clock


def rows(journal: Journal) -> dict[str, int]:
    return {table: journal._rows(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"] for table in TABLES}


@pytest.mark.parametrize("quiet", [2, 20, 110])
def test_record_decided_when_quiet_cycles_decide_the_same_then_their_rows_stay_those_of_the_first(
    journal: tuple[Journal, ManualClock], quiet: int
) -> None:
    j, clock = journal
    for number in range(1, quiet + 1):
        cycle_id = hedged_cycle(j, clock, number, sol=str(150 + number % 7))  # the price moves, not the decision
        j.record_policy_state(RUN, {"planner": {}}, cycle_id=cycle_id)
        j.record_heartbeat(RUN)
    assert rows(j) == {
        "cycles": 1, "targets": 1, "decisions": 2, "intents": 0, "unchanged_cycles": 1, "policy_states": 1,
        "heartbeats": 1,
    }  # fmt: skip
    (row,) = j.last_cycles()
    assert (row.number, row.repeats, row.latest_number) == (1, quiet - 1, quiet)
    assert row.latest_at == HOUR + timedelta(seconds=30 * (quiet - 1))


def test_record_decided_when_a_quiet_run_ends_at_the_hour_then_each_hour_of_a_quiet_day_writes_one_cycle(
    journal: tuple[Journal, ManualClock],
) -> None:
    j, clock = journal
    for number in range(1, 721):  # a day of cycles, every 2 minutes
        hedged_cycle(j, clock, number)
        clock.advance(timedelta(seconds=90))
    assert rows(j)["cycles"] == rows(j)["unchanged_cycles"] == 24
    assert sum(r.repeats + 1 for r in j.last_cycles(100)) == 720


def changed_reason(j: Journal, clock: ManualClock) -> None:
    hedged_cycle(j, clock, 9, reason=ReasonCode.DRIFT_BELOW_BAND)


def changed_position(j: Journal, clock: ManualClock) -> None:
    hedged_cycle(j, clock, 9, current="-74.9")


def changed_state(j: Journal, clock: ManualClock) -> None:
    hedged_cycle(j, clock, 9, state=TradingState.REDUCING)


def an_order(j: Journal, clock: ManualClock) -> None:
    hedged_cycle(j, clock, 9, intents=(sell("1"),))


def a_cancel(j: Journal, clock: ManualClock) -> None:
    hedged_cycle(j, clock, 9, cancels=True)


def the_next_hour(j: Journal, clock: ManualClock) -> None:
    clock.set(HOUR + timedelta(hours=1))
    hedged_cycle(j, clock, 9)


def a_fill_between(j: Journal, clock: ManualClock) -> None:
    j.record_fills(VENUE, [sol_fill("t9", Side.SELL, "1", "150", clock.now(), "hbforeign")], MARKETS)
    hedged_cycle(j, clock, 9)


def funding_between(j: Journal, clock: ManualClock) -> None:
    j.record_funding(VENUE, [sol_funding(clock.now(), "0.3")])
    hedged_cycle(j, clock, 9)


def an_error_between(j: Journal, clock: ManualClock) -> None:
    j.record_error(RUN, "bad_data", "cycle 9 skipped")
    hedged_cycle(j, clock, 10)


def a_policy_change_between(j: Journal, clock: ManualClock) -> None:
    j.record_policy_state(RUN, {"armed": True})
    hedged_cycle(j, clock, 9)


def a_restart(j: Journal, clock: ManualClock) -> None:
    j.start_run("r2run2", mode="sim", config_hash="c0ffee", version="0.1.0")
    hedged_cycle(j, clock, 1, run_id="r2run2")


@pytest.mark.parametrize(
    "change",
    [
        changed_reason, changed_position, changed_state, an_order, a_cancel, the_next_hour, a_fill_between,
        funding_between, an_error_between, a_policy_change_between, a_restart,
    ],
)  # fmt: skip
def test_record_decided_when_anything_changed_since_the_quiet_run_then_the_cycle_is_written_in_full(
    journal: tuple[Journal, ManualClock], change: Callable[[Journal, ManualClock], None]
) -> None:
    j, clock = journal
    for number in range(1, 9):
        hedged_cycle(j, clock, number)
    change(j, clock)
    newest, run = j.last_cycles(2)
    assert (run.number, run.repeats, newest.repeats) == (1, 7, 0)
    assert newest.number in (1, 9, 10)
    assert len(j.why("SOL", limit=10)) == 2  # the changed cycle's decision is there to read


def test_record_decided_when_a_run_after_a_changed_cycle_then_a_new_run_starts_there(
    journal: tuple[Journal, ManualClock],
) -> None:
    j, clock = journal
    for number in range(1, 4):
        hedged_cycle(j, clock, number)
    for number in range(4, 8):
        hedged_cycle(j, clock, number, current="-74.9")
    assert [(r.number, r.latest_number) for r in j.last_cycles()] == [(4, 7), (1, 3)]


def test_why_when_a_decision_repeated_then_its_row_says_how_often_and_until_when(
    journal: tuple[Journal, ManualClock],
) -> None:
    j, clock = journal
    for number in range(1, 6):
        hedged_cycle(j, clock, number)
    (row,) = j.why("SOL")
    assert (row.at, row.repeats, row.since) == (HOUR + timedelta(minutes=2), 4, HOUR)
    (instrument,) = j.why(SOL)
    assert instrument.repeats == 4


def test_why_when_a_target_drifted_with_prices_inside_the_band_then_one_run_read_as_its_last_decision(
    journal: tuple[Journal, ManualClock],
) -> None:
    j, clock = journal
    for number, (target, sol) in enumerate([("-75", "150"), ("-75.2", "149"), ("-75.4", "148")], start=1):
        hedged_cycle(j, clock, number, target=target, sol=sol)  # a proxy's target moves with its prices
    assert rows(j)["cycles"] == 1
    (holding,) = j.why("SOL")
    d = holding.decision
    assert isinstance(d, HoldingDecisionRecord)
    assert (d.target, d.gap, d.price, d.value, d.note) == (
        D("-75.4"), D("-0.4"), D(148), D(14800), "gap -0.4 contracts is within the band"
    )  # fmt: skip
    assert (d.reason, d.current, d.quantity, holding.since) == (ReasonCode.HEDGED_WITHIN_BAND, D(-75), D(100), HOUR)
    (instrument,) = j.why(SOL)
    assert (instrument.decision.target, instrument.decision.price) == (D("-75.4"), D(148))


def test_price_before_when_cycles_folded_then_the_last_of_the_run_prices_the_hours_edge(
    journal: tuple[Journal, ManualClock],
) -> None:
    j, clock = journal
    for number in range(1, 121):  # 12:00:00 to 12:59:30, the price rising a cent a cycle
        hedged_cycle(j, clock, number, sol=str(D(150) + D("0.01") * number))
    hedged_cycle(j, clock, 121, sol="200")  # 13:00:00, a new run
    edge = HOUR + timedelta(hours=1) - timedelta(milliseconds=1)
    assert j.price_before("SOL", edge) == D("151.20")  # the run's last cycle, 12:59:30
    assert j.price_before(SOL, edge) == D("151.20")
    assert j.price_before("SOL", HOUR + timedelta(hours=1)) == D(200)
    assert j.price_before("SOL", HOUR + timedelta(minutes=30)) == D("150.01")  # inside the run: its first price
    assert j.price_near("SOL", HOUR - timedelta(minutes=1)) == D("150.01")


def test_record_policy_state_when_unchanged_then_not_written_again_and_when_changed_written(
    journal: tuple[Journal, ManualClock],
) -> None:
    j, _ = journal
    for state in ({"low": D("120.5")}, {"low": D("120.5")}, {"low": D("118")}, {"low": D("118")}):
        j.record_policy_state(RUN, state)
    assert rows(j)["policy_states"] == 2
    assert j.latest_policy_state(RUN) == {"low": "118"}


def test_record_heartbeat_when_beating_then_one_row_per_run_updated_in_place_keeping_the_switch_state(
    journal: tuple[Journal, ManualClock],
) -> None:
    j, clock = journal
    j.record_heartbeat(RUN, switch="armed")
    for _ in range(50):
        clock.advance(timedelta(seconds=30))
        j.record_heartbeat(RUN)
    beat = j.latest_heartbeat()
    assert beat is not None
    assert (beat.run_id, beat.at, beat.switch) == (RUN, clock.now(), "armed")
    j.start_run("r2run2", mode="sim", config_hash="c0ffee", version="0.1.0")
    clock.advance(timedelta(seconds=1))
    j.record_heartbeat("r2run2")
    assert rows(j)["heartbeats"] == 2
    newest = j.latest_heartbeat()
    assert newest is not None
    assert (newest.run_id, newest.switch) == ("r2run2", None)


def test_kept_tables_when_rows_deleted_then_sqlite_refuses(
    journal: tuple[Journal, ManualClock], tmp_path: Path
) -> None:
    j, clock = journal
    for number in range(1, 3):
        hedged_cycle(j, clock, number)
    j.record_heartbeat(RUN)
    raw = sqlite3.connect(tmp_path / "journal.sqlite")
    for table in ("unchanged_cycles", "heartbeats"):
        assert raw.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 1
        with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
            raw.execute(f"DELETE FROM {table}")


def test_open_journal_when_schema_2_then_migrated_to_one_heartbeat_per_run_with_its_last_switch_state(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.executescript(f"BEGIN;\n{MIGRATIONS[0]}\n{MIGRATIONS[1]}\nPRAGMA user_version = 2;\nCOMMIT;")
    raw.execute("INSERT INTO runs VALUES ('r1run1', 0, 'sim', 'c0ffee', '0.1.0', '{}')")
    raw.execute("INSERT INTO runs VALUES ('r2run2', 5000, 'sim', 'c0ffee', '0.1.0', '{}')")
    beats = [("r1run1", 1000, "armed"), ("r1run1", 2000, None), ("r2run2", 6000, "none"), ("r2run2", 9000, None)]
    raw.executemany("INSERT INTO heartbeats (run_id, at_ms, switch) VALUES (?, ?, ?)", beats)
    raw.close()
    journal = open_journal(path, ManualClock(NOW))
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION  # every one ran
    assert [tuple(r) for r in journal._rows("SELECT run_id, at_ms, switch FROM heartbeats ORDER BY at_ms")] == [
        ("r1run1", 2000, "armed"),
        ("r2run2", 9000, "none"),
    ]
    journal.record_heartbeat("r1run1")
    assert journal.latest_heartbeat().run_id == "r1run1"  # type: ignore[union-attr]


def test_record_decided_when_two_runs_share_the_journal_then_each_extends_its_own_run(
    journal: tuple[Journal, ManualClock],
) -> None:
    j, clock = journal
    j.start_run("r2run2", mode="sim", config_hash="c0ffee", version="0.1.0")
    for number in range(1, 6):  # one process, two venues: their cycles interleave
        hedged_cycle(j, clock, number)
        hedged_cycle(j, clock, number, run_id="r2run2", current="-60")
    assert rows(j)["cycles"] == 2
    assert sorted((r.run_id, r.repeats) for r in j.last_cycles()) == [(RUN, 4), ("r2run2", 4)]
