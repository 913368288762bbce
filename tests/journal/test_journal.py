"""Specification of the journal: round trips, order outcomes, idempotent fills and funding, the queries the loop
and reconciliation use, append-only storage and schema versions."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain import HedgeTarget, OrderStatus, ReasonCode, Side, TradingState
from bot.errors import JournalError
from bot.journal import (
    SCHEMA_VERSION,
    CycleRecord,
    HoldingDecisionRecord,
    InstrumentDecisionRecord,
    Journal,
    OrderOrigin,
    open_journal,
    open_reader,
)
from bot.journal.records import HoldingWatch, OrderTicket, WatchState
from bot.risk import RiskState, StateEvent, Trigger, apply_events, transition
from tests.factories import NOW, btc_perp_market
from tests.journal.factories import (
    MARKETS,
    RUN,
    VENUE,
    new_journal,
    order_request,
    populate,
    sol_fill,
    sol_funding,
    venue_order,
)
from tests.risk.factories import SOL

D = Decimal


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    journal, _, _ = new_journal(tmp_path)
    journal.start_run(RUN, mode="sim", config_hash="c0ffee", version="0.1.0")
    return journal


def test_journal_when_cycles_recorded_then_last_cycles_round_trip_with_counts(tmp_path: Path) -> None:
    journal, clock, _ = new_journal(tmp_path)
    populate(journal, clock)
    newest, oldest = journal.last_cycles(2)
    assert (newest.number, newest.intents, newest.approved, newest.denied, newest.orders) == (2, 2, 1, 1, 1)
    assert (oldest.number, oldest.intents, oldest.approved, oldest.denied, oldest.orders) == (1, 1, 1, 0, 1)
    assert oldest.holdings_value == D("15000.00")  # exact text, trailing zeros kept
    assert oldest.summary == {"holdings": 1}
    assert newest.at - oldest.at == timedelta(seconds=30)
    assert journal.last_cycles(1) == [newest]


def test_journal_when_holding_and_instrument_decisions_recorded_then_each_reads_back_as_its_own_kind(
    journal: Journal,
) -> None:
    cycle = journal.record_cycle(CycleRecord(RUN, 1, NOW, TradingState.ACTIVE, D(15000), D(9000)))
    holding = HoldingDecisionRecord("SOL", ReasonCode.REBALANCE, SOL, D(15000), D("0.7"), D(-70), D(-60), D(0), D(-10))
    instrument = InstrumentDecisionRecord(SOL, ReasonCode.REBALANCE, D(-70), D(-60), D(0), D(-10), "2 orders")
    journal.record_decisions(cycle, [holding, instrument])
    assert [row.decision for row in journal.why("SOL")] == [holding]
    assert [row.decision for row in journal.why(SOL)] == [instrument]  # stored under its symbol, as always


def test_journal_when_decimals_and_times_stored_then_read_back_exactly(journal: Journal) -> None:
    tiny = D("0.000000000000000000123456789")
    cycle = journal.record_cycle(CycleRecord(RUN, 1, NOW, TradingState.REDUCING, tiny, D("1E+3"), {"x": tiny}))
    journal.record_decisions(cycle, [HoldingDecisionRecord("SOL", ReasonCode.DUST, SOL, value=tiny, note="dust")])
    (row,) = journal.last_cycles()
    (why,) = journal.why("SOL")
    assert (row.at, row.trading_state, row.holdings_value, row.hedge_notional) == (NOW, "reducing", tiny, D(1000))
    assert row.summary == {"x": str(tiny)}
    assert why.decision == HoldingDecisionRecord("SOL", ReasonCode.DUST, SOL, value=tiny, note="dust")


def test_why_when_a_holding_was_blocked_then_latest_decisions_with_gate_denials(tmp_path: Path) -> None:
    journal, clock, _ = new_journal(tmp_path)
    populate(journal, clock)
    blocked, rebalanced = journal.why("sol")
    assert blocked.decision.reason is ReasonCode.BLOCKED_BY_LIMIT
    assert blocked.denials == ("the short could reach 110 contracts",)
    assert (rebalanced.decision.reason, rebalanced.denials) == (ReasonCode.REBALANCE, ())
    assert journal.why("BTC") == []


def _ack(j: Journal, t: OrderTicket) -> None:
    j.record_acknowledged(t, venue_order(t.request, OrderStatus.OPEN))


def _filled(j: Journal, t: OrderTicket) -> None:
    j.record_order_update(venue_order(t.request, OrderStatus.FILLED, "10"))


def _stale_open(j: Journal, t: OrderTicket) -> None:
    j.record_order_update(venue_order(t.request, OrderStatus.OPEN, "4"))


def _post_only_cancelled(j: Journal, t: OrderTicket) -> None:
    j.record_acknowledged(t, venue_order(t.request, OrderStatus.CANCELED, reason="EC_PostOnlyWillTakeLiquidity"))


def _rejected(j: Journal, t: OrderTicket) -> None:
    j.record_rejected(t, "insufficient margin")


def _unknown(j: Journal, t: OrderTicket) -> None:
    j.record_outcome_unknown(t, "timed out")


def _cancelled(j: Journal, t: OrderTicket) -> None:
    j.record_order_update(venue_order(t.request, OrderStatus.CANCELED))


def _cancel_asked(j: Journal, t: OrderTicket) -> None:
    j.record_cancel_requested(t.client_order_id, "reprice")


Step = Callable[[Journal, OrderTicket], None]


@pytest.mark.parametrize(
    ("steps", "status", "filled", "unresolved", "detail"),
    [
        pytest.param([], None, None, True, "", id="written, never acknowledged: pending"),
        pytest.param([_ack], OrderStatus.OPEN, "0", True, "", id="resting"),
        pytest.param([_ack, _filled], OrderStatus.FILLED, "10", False, "", id="filled"),
        pytest.param([_ack, _filled, _stale_open], OrderStatus.FILLED, "10", False, "", id="a final status sticks"),
        pytest.param([_post_only_cancelled], OrderStatus.CANCELED, "0", False, "EC_PostOnlyWillTakeLiquidity",
                     id="post-only accepted then cancelled"),
        pytest.param([_rejected], OrderStatus.REJECTED, None, False, "insufficient margin", id="rejected by venue"),
        pytest.param([_unknown], OrderStatus.UNKNOWN, None, True, "timed out", id="ambiguous"),
        pytest.param([_unknown, _cancelled], OrderStatus.CANCELED, "0", False, "", id="ambiguous, then resolved"),
        pytest.param([_ack, _cancel_asked], OrderStatus.OPEN, "0", True, "reprice", id="cancel requested"),
    ],
)  # fmt: skip
def test_order_when_events_recorded_then_outcome_and_reconciliation_queue_follow(
    journal: Journal, steps: list[Step], status: OrderStatus | None, filled: str | None, unresolved: bool, detail: str
) -> None:
    ticket = journal.record_order(VENUE, order_request(), run_id=RUN)
    for step in steps:
        step(journal, ticket)
    order = journal.order(ticket.client_order_id)
    assert order is not None
    assert (order.status, order.filled, order.detail) == (status, D(filled) if filled else None, detail)
    assert order.resolved is not unresolved
    assert [o.client_order_id for o in journal.unresolved_orders()] == ([ticket.client_order_id] if unresolved else [])
    assert [o.client_order_id for o in journal.orders(unresolved=True)] == [
        o.client_order_id for o in journal.unresolved_orders()
    ]


def test_unresolved_orders_when_read_between_order_writes_then_each_read_is_what_a_fresh_reader_reads(
    tmp_path: Path,
) -> None:
    """The writer remembers its last read until it writes an order or an order event: never a stale answer."""
    journal, _, path = new_journal(tmp_path)
    journal.start_run(RUN, mode="sim", config_hash="c0ffee", version="0.1.0")
    first = journal.record_order(VENUE, order_request(), run_id=RUN)
    steps: list[Callable[[], object]] = [
        lambda: _ack(journal, first),
        lambda: journal.record_order(VENUE, order_request("hbr1run11x1"), run_id=RUN),
        lambda: journal.adopt_order(VENUE, venue_order(order_request("hbold1xx1x0"), OrderStatus.OPEN), run_id=RUN),
        lambda: _filled(journal, first),
        lambda: journal.record_error(RUN, "bad_data", "not an order: the last read still holds"),
    ]
    for step in steps:
        journal.unresolved_orders(VENUE)
        step()
        with open_reader(path) as reader:
            fresh = [o.client_order_id for o in reader.unresolved_orders(VENUE)]
        assert [o.client_order_id for o in journal.unresolved_orders(VENUE)] == fresh
    assert fresh == ["hbold1xx1x0", "hbr1run11x1"]


def test_record_fills_when_a_trade_id_repeats_on_another_instrument_or_venue_then_it_is_new(journal: Journal) -> None:
    """Fills already recorded are not offered again, keyed as the table is: venue, instrument and trade id."""
    sol = sol_fill("t1", Side.SELL, "4", "150", NOW)
    btc = replace(sol, symbol=btc_perp_market().symbol)
    markets = {**MARKETS, btc.symbol: btc_perp_market()}
    assert journal.record_fills(VENUE, [sol], markets) == 1
    assert journal.record_fills(VENUE, [sol, btc], markets) == 1
    assert journal.record_fills("other", [sol, btc], markets) == 2
    assert journal.record_fills("other", [btc, sol], markets) == 0


def test_record_order_when_client_id_already_journaled_then_refused_and_first_kept(journal: Journal) -> None:
    journal.record_order(VENUE, order_request(), run_id=RUN)
    with pytest.raises(JournalError, match="hbr1run11x0"):
        journal.record_order(VENUE, order_request(amount="99"), run_id=RUN)
    order = journal.order("hbr1run11x0")
    assert order is not None
    assert order.amount == D(10)


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(lambda j: j.record_order_update(venue_order(order_request("hbnope"), OrderStatus.OPEN)), id="upd"),
        pytest.param(lambda j: j.record_cancel_requested("hbnope", "x"), id="cancel"),
        pytest.param(lambda j: j.record_fills(VENUE, [sol_fill("t9", Side.SELL, "1", "1", NOW)], {}), id="no market"),
    ],
)
def test_journal_when_a_record_refers_to_nothing_then_journal_error(
    journal: Journal, record: Callable[[Journal], None]
) -> None:
    with pytest.raises(JournalError):
        record(journal)


def test_adopt_order_when_found_live_then_journaled_once_and_not_counted_as_sent(journal: Journal) -> None:
    live = venue_order(order_request("hbold1xx1x0"), OrderStatus.OPEN, "2")
    journal.adopt_order(VENUE, live, run_id=RUN)
    journal.adopt_order(VENUE, live, run_id=RUN)
    (order,) = journal.orders()
    assert (order.origin, order.status, order.filled) == (OrderOrigin.ADOPTED, OrderStatus.OPEN, D(2))
    assert journal.orders_sent_since(NOW - timedelta(days=1)) == 0


def test_record_fills_when_seen_again_then_never_double_counted(journal: Journal) -> None:
    first = [sol_fill("t1", Side.SELL, "4", "150", NOW), sol_fill("t2", Side.SELL, "6", "150.5", NOW)]
    again = [first[1], sol_fill("t3", Side.BUY, "1", "149", NOW)]
    assert journal.record_fills(VENUE, first, MARKETS) == 2
    assert journal.record_fills(VENUE, again, MARKETS) == 1
    assert journal.record_fills(VENUE, first, MARKETS) == 0
    assert sorted(f.fill.trade_id for f in journal.fills()) == ["t1", "t2", "t3"]
    assert journal.turnover_since(NOW) == D("600") + D("903.0") + D("149")  # 4 x 150 + 6 x 150.5 + 1 x 149


def test_record_funding_when_seen_again_then_never_double_counted(journal: Journal) -> None:
    eight = NOW - timedelta(hours=8)
    assert journal.record_funding(VENUE, [sol_funding(eight, "-1.25"), sol_funding(NOW, "0.5")]) == 2
    assert journal.record_funding(VENUE, [sol_funding(NOW, "0.5"), sol_funding(eight, "-1.25", "other-id")]) == 0
    (total,) = journal.funding_totals()
    assert (total.payments, total.received, total.paid, total.net) == (2, D("0.5"), D("1.25"), D("-0.75"))
    assert journal.funding_cost_since(eight) == D("0.75")
    assert journal.funding_cost_since(NOW) == D("-0.5")


def test_risk_history_when_orders_fills_and_funding_then_last_minute_and_utc_day(tmp_path: Path) -> None:
    journal, clock, _ = new_journal(tmp_path, NOW - timedelta(seconds=70))
    journal.start_run(RUN, mode="sim", config_hash="c", version="v")
    for n, step in enumerate([0, 40, 30]):  # written at NOW-70s, NOW-30s, NOW
        clock.advance(timedelta(seconds=step))
        journal.record_order(VENUE, order_request(f"hbr1run11x{n}"), run_id=RUN)
    yesterday = NOW.replace(hour=0) - timedelta(minutes=1)
    journal.record_fills(
        VENUE,
        [sol_fill("old", Side.SELL, "100", "150", yesterday), sol_fill("new", Side.SELL, "2", "150.25", NOW)],
        MARKETS,
    )
    journal.record_funding(VENUE, [sol_funding(yesterday, "-50"), sol_funding(NOW.replace(hour=8), "-1.5")])
    history = journal.risk_history(NOW)
    assert (history.orders_last_minute, history.turnover_today, history.funding_cost_today) == (
        2,
        D("300.50"),
        D("1.5"),
    )


def test_explained_positions_when_baseline_and_fills_then_baseline_plus_later_fills(journal: Journal) -> None:
    t0 = NOW - timedelta(hours=1)
    journal.record_fills(
        VENUE,
        [
            sol_fill("before", Side.SELL, "50", "150", t0 - timedelta(minutes=5)),  # inside the baseline already
            sol_fill("s1", Side.SELL, "10", "150", t0 + timedelta(minutes=1)),
            sol_fill("b1", Side.BUY, "3", "149", t0 + timedelta(minutes=2)),
        ],
        MARKETS,
    )
    journal.record_position_baseline(VENUE, SOL, D(-50), as_of=t0, reason="adopted at start", run_id=RUN)
    btc = replace(sol_fill("x1", Side.SELL, "0.5", "60000", NOW), symbol="BTC/USDT:USDT")
    journal.record_fills(VENUE, [btc], {"BTC/USDT:USDT": btc_perp_market()})
    btc_position, sol_position = journal.explained_positions()
    assert (sol_position.baseline, sol_position.from_fills, sol_position.contracts) == (D(-50), D(-7), D(-57))
    assert sol_position.baseline_as_of == t0
    assert (btc_position.symbol, btc_position.baseline_as_of, btc_position.contracts) == (
        "BTC/USDT:USDT",
        None,
        D("-0.5"),
    )


def test_explained_positions_when_read_between_fills_and_baselines_then_each_read_is_what_a_fresh_reader_reads(
    tmp_path: Path,
) -> None:
    """The writer remembers its last read until it writes a fill or a baseline: never a stale position."""
    journal, _, path = new_journal(tmp_path)
    t0 = NOW - timedelta(hours=1)
    steps: list[Callable[[], object]] = [
        lambda: journal.record_fills(VENUE, [sol_fill("s1", Side.SELL, "10", "150", t0)], MARKETS),
        lambda: journal.record_fills(VENUE, [sol_fill("s1", Side.SELL, "10", "150", t0)], MARKETS),  # known: no row
        lambda: journal.record_position_baseline(VENUE, SOL, D(-4), as_of=t0, reason="adopted", run_id=None),
        lambda: journal.record_fills(VENUE, [sol_fill("b1", Side.BUY, "1", "149", NOW)], MARKETS),
        lambda: journal.record_error(None, "bad_data", "not a fill: the last read still holds"),
    ]
    for step in steps:
        journal.explained_positions()
        step()
        with open_reader(path) as reader:
            fresh = reader.explained_positions()
        assert journal.explained_positions() == fresh
    assert [p.contracts for p in fresh] == [D(-3)]


def test_explained_positions_when_a_foreign_fill_then_it_explains_nothing_and_is_no_turnover(
    journal: Journal,
) -> None:
    journal.record_fills(
        VENUE,
        [
            sol_fill("ours", Side.SELL, "10", "150", NOW),
            sol_fill("manual", Side.SELL, "4", "150", NOW, client_order_id=""),  # a trade made by hand
        ],
        MARKETS,
    )
    (position,) = journal.explained_positions()
    assert position.contracts == D(-10)  # the venue holds -14: reconciliation will refuse to trade
    assert journal.turnover_since(NOW) == D(1500)
    assert len(journal.fills()) == 2  # both are recorded, for the record


def test_latest_risk_state_when_changes_recorded_then_the_last_one(journal: Journal) -> None:
    assert journal.latest_risk_state() is None
    _, changes = apply_events(
        RiskState(), [StateEvent(Trigger.DAILY_TURNOVER_REACHED), StateEvent(Trigger.KILL_SWITCH, "file")]
    )
    for change in changes:
        journal.record_state_change(RUN, change)
    assert journal.latest_risk_state() == RiskState(TradingState.HALTED, Trigger.KILL_SWITCH, "file")


def test_latest_policy_state_when_saved_then_newest_per_run_with_decimals_as_text(journal: Journal) -> None:
    journal.start_run("r2run2", mode="sim", config_hash="c", version="v")
    journal.record_policy_state(RUN, {"low": D("120.5"), "armed": True})
    journal.record_policy_state("r2run2", {"low": D("99")})
    journal.record_policy_state(RUN, {"low": D("118.25"), "armed": False})
    assert journal.latest_policy_state(RUN) == {"low": "118.25", "armed": False}
    assert journal.latest_policy_state() == {"low": "118.25", "armed": False}
    assert journal.latest_policy_state("r2run2") == {"low": "99"}
    assert journal.latest_policy_state("none") is None


def test_journal_when_two_venues_run_side_by_side_then_each_restores_its_own_state_and_counts_its_own_orders(
    tmp_path: Path,
) -> None:
    journal, _, _ = new_journal(tmp_path)
    for run, venue in (("runaaa", "a"), ("runbbb", "b")):
        journal.start_run(run, mode="sim", config_hash="c", version="v", detail={"venue": venue, "exchange": "bybit"})
    journal.record_policy_state("runaaa", {"desk": "a"})
    journal.record_state_change("runaaa", transition(RiskState(), StateEvent(Trigger.KILL_SWITCH, "a's")))
    journal.record_policy_state("runbbb", {"desk": "b"})
    journal.record_order("b", order_request("hbrunbbb1x0"), run_id="runbbb")
    assert journal.latest_policy_state(venue="a") == {"desk": "a"}  # not b's, though b saved last
    assert journal.latest_policy_state(venue="b") == {"desk": "b"}
    assert journal.latest_risk_state("a") == RiskState(TradingState.HALTED, Trigger.KILL_SWITCH, "a's")
    assert journal.latest_risk_state("b") is None  # a's halt is a's: b's desk goes on
    assert journal.risk_history(NOW, "a").orders_last_minute == 0  # each account has its own order rate
    assert journal.risk_history(NOW, "b").orders_last_minute == 1


def test_journal_when_errors_recorded_then_read_back_newest_first_and_by_kind(journal: Journal) -> None:
    journal.record_error(RUN, "ExchangeUnavailable", "503", symbol=SOL)
    journal.record_error(RUN, "leverage_changed", "5x set outside hedgebot", symbol=SOL, client_order_id="hb1")
    newest, oldest = journal.errors()
    assert (newest.run_id, newest.kind, newest.message) == (RUN, "leverage_changed", "5x set outside hedgebot")
    assert (newest.symbol, newest.client_order_id, newest.at) == (SOL, "hb1", NOW)
    assert (oldest.kind, oldest.client_order_id) == ("ExchangeUnavailable", None)
    assert journal.errors(kind="leverage_changed") == journal.errors(limit=1) == [newest]


def test_holding_watches_when_states_recorded_then_the_latest_per_asset_and_wallet_that_is_watched(
    journal: Journal,
) -> None:
    missing = HoldingWatch("SOL", "exchange:main", WatchState.MISSING, SOL, NOW)
    journal.record_holding_watch(RUN, HoldingWatch("SOL", "exchange:main", WatchState.HEDGED, SOL))
    journal.record_holding_watch(RUN, HoldingWatch("SOL", "exchange:cold", WatchState.HEDGED, SOL))
    journal.record_holding_watch(RUN, missing)
    journal.record_holding_watch(RUN, HoldingWatch("ETH", "exchange:main", WatchState.HEDGED, "ETH/USDT:USDT"))
    journal.record_holding_watch(RUN, HoldingWatch("ETH", "exchange:main", WatchState.CONFIRMED, "ETH/USDT:USDT"))
    assert journal.holding_watches() == [
        HoldingWatch("SOL", "exchange:cold", WatchState.HEDGED, SOL),
        missing,  # ETH, confirmed gone, is watched no more
    ]


def test_open_alert_conditions_when_alerted_and_cleared_then_only_those_alerted_since_their_last_clearing(
    journal: Journal,
) -> None:
    journal.record_alert_condition("halted", "halted")
    journal.record_alert_condition("margin_low:SOL", "margin_low")
    journal.record_alert_condition("halted", None)
    journal.record_alert_condition("funding_cost_high", "funding_cost_high")
    journal.record_alert_condition("funding_cost_high", None)
    journal.record_alert_condition("funding_cost_high", "funding_cost_high")
    assert [(c.key, c.kind, c.since) for c in journal.open_alert_conditions()] == [
        ("margin_low:SOL", "margin_low", NOW),
        ("funding_cost_high", "funding_cost_high", NOW),
    ]


def test_journal_when_rows_changed_or_deleted_then_sqlite_refuses(tmp_path: Path) -> None:
    journal, clock, path = new_journal(tmp_path)
    populate(journal, clock)
    journal.record_approval(1, approver="auto", verdict="approved", amount=D(10), price=D("150.01"))
    journal.record_error(RUN, "ExchangeUnavailable", "503", symbol=SOL)
    journal.record_targets(1, [HedgeTarget(SOL, D(-70), D(10500), full_contracts=D(-100))])
    journal.record_position_baseline(VENUE, SOL, D(-60), as_of=NOW, reason="first start", run_id=RUN)
    journal.record_state_change(RUN, transition(RiskState(), StateEvent(Trigger.OPERATOR_HALT)))
    journal.record_policy_state(RUN, {"armed": True}, cycle_id=1)
    journal.record_heartbeat(RUN, switch="none")
    for number in (3, 4):  # a quiet cycle, and one deciding the same: a run of unchanged cycles
        decision = HoldingDecisionRecord("SOL", ReasonCode.HEDGED_WITHIN_BAND, SOL, D(15000), D("0.7"), D(-70))
        cycle = CycleRecord(RUN, number, clock.now(), TradingState.ACTIVE, D(15000), D(10500))
        journal.record_decided(cycle, [], [decision], [], cancels=False)
    journal.record_holding_watch(RUN, HoldingWatch("SOL", "exchange:main", WatchState.HEDGED, SOL))
    journal.record_alert_condition("halted", "halted")
    journal.stop_run(RUN, exit_code=0, reason="SIGTERM")
    raw = sqlite3.connect(path)
    tables = [r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert len(tables) == 21
    kept = {"heartbeats", "unchanged_cycles"}  # updated in place, never deleted: tests/journal/test_folding.py
    for table in tables:
        assert raw.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] > 0, table
        with pytest.raises(sqlite3.DatabaseError, match="never deleted" if table in kept else "append-only"):
            raw.execute(f"DELETE FROM {table}")
        if table not in kept:
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                raw.execute(f"UPDATE {table} SET rowid = rowid")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("UPDATE order_events SET status = 'filled'")
    assert raw.execute("SELECT approver, verdict, amount FROM approvals").fetchall() == [("auto", "approved", "10")]
    assert raw.execute("SELECT exit_code, reason FROM run_stops").fetchall() == [(0, "SIGTERM")]


def test_open_journal_when_reopened_then_schema_kept_and_rows_kept(tmp_path: Path) -> None:
    journal, clock, path = new_journal(tmp_path)
    populate(journal, clock)
    journal.close()
    again = open_journal(path, clock)
    assert len(again.last_cycles()) == 2
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _raw(path: Path, sql: str) -> None:
    raw = sqlite3.connect(path)
    raw.execute(sql)
    raw.commit()
    raw.close()


def test_open_when_schema_is_newer_than_this_hedgebot_then_journal_error(tmp_path: Path) -> None:
    journal, clock, path = new_journal(tmp_path)
    journal.close()
    _raw(path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(JournalError, match="newer than this hedgebot"):
        open_journal(path, clock)
    with pytest.raises(JournalError, match="newer than this hedgebot"):
        open_reader(path)


def test_open_when_file_is_another_database_then_journal_error(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    _raw(path, "CREATE TABLE notes (x)")
    with pytest.raises(JournalError, match="not a hedgebot journal"):
        open_journal(path, new_journal(tmp_path)[1])
    with pytest.raises(JournalError, match="not a hedgebot journal"):
        open_reader(path)


def test_open_reader_when_file_missing_then_clear_error_and_nothing_created(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="does not exist"):
        open_reader(tmp_path / "nope.sqlite")
    assert list(tmp_path.iterdir()) == []
