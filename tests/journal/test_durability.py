"""Specification of the journal's guarantees around sending: an order is on disk before its request leaves, and
whatever was committed survives the process being killed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.domain import Order, OrderStatus, TradingState
from bot.errors import AmbiguousOrderOutcome, JournalError, OrderRejected, PostOnlyWouldTake
from bot.exchange.port import OrderRequest
from bot.journal import CycleRecord, Journal, JournalOrder, open_journal, open_reader
from bot.journal.writer import COMMIT_EVERY
from bot.risk import RiskDecision
from tests.conftest import ROOT
from tests.factories import NOW
from tests.journal.factories import RUN, VENUE, new_journal, order_request, populate, venue_order
from tests.risk.factories import sell

D = Decimal


class VenueThatLooks:
    """A fake venue's ``place_order``: when a request arrives, it reads the journal through its own read-only
    connection (as another process would after a crash) and remembers what the journal held at that moment."""

    def __init__(self, path: Path, failure: Exception | None = None) -> None:
        self.path = path
        self.failure = failure
        self.seen: JournalOrder | None = None

    async def place_order(self, request: OrderRequest, *, confirm: bool = True) -> Order:
        with open_reader(self.path) as reader:
            self.seen = reader.order(request.client_order_id)
        if self.failure is not None:
            raise self.failure
        return venue_order(request, OrderStatus.OPEN)


async def send(journal: Journal, venue: VenueThatLooks, request: OrderRequest) -> None:
    """The executor's protocol, as bot/journal/writer.py documents it."""
    ticket = journal.record_order(VENUE, request, run_id=RUN)
    try:
        order = await venue.place_order(ticket.request)
    except AmbiguousOrderOutcome as exc:
        journal.record_outcome_unknown(ticket, str(exc))
    except OrderRejected as exc:
        journal.record_rejected(ticket, str(exc))
    else:
        journal.record_acknowledged(ticket, order)


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        pytest.param(None, OrderStatus.OPEN, id="accepted"),
        pytest.param(PostOnlyWouldTake("would take"), OrderStatus.REJECTED, id="rejected"),
        pytest.param(
            AmbiguousOrderOutcome("timed out", symbol="SOL/USDT:USDT", client_order_id="hbr1run11x0"),
            OrderStatus.UNKNOWN,
            id="ambiguous",
        ),
    ],
)
async def test_send_when_request_reaches_the_venue_then_the_order_was_already_committed(
    tmp_path: Path, failure: Exception | None, status: OrderStatus
) -> None:
    journal, _, path = new_journal(tmp_path)
    journal.start_run(RUN, mode="sim", config_hash="c", version="v")
    venue = VenueThatLooks(path, failure)
    await send(journal, venue, order_request())
    assert venue.seen is not None, "the request was sent before its order row was committed"
    assert (venue.seen.status, venue.seen.amount) == (None, D(10))
    after = journal.order("hbr1run11x0")
    assert after is not None
    assert after.status is status


_WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from bot.clock import ManualClock
from tests.journal.factories import RUN, VENUE, order_request, venue_order
from bot.domain import OrderStatus
from bot.journal import open_journal
from bot.logging import configure_logging

configure_logging("warning")  # logs to stderr: stdout carries only the acknowledged ids
journal = open_journal(Path(sys.argv[1]), ManualClock(datetime(2025, 10, 10, 12, tzinfo=UTC)))
journal.start_run(RUN, mode="sim", config_hash="c", version="v")
n = 0
while True:
    ticket = journal.record_order(VENUE, order_request(f"hbr1run1{n}x0"), run_id=RUN)
    journal.record_acknowledged(ticket, venue_order(ticket.request, OrderStatus.OPEN))
    print(ticket.client_order_id, flush=True)
    n += 1
"""


@pytest.mark.parametrize("orders_before_kill", [1, 7, 25])
def test_journal_when_writer_is_killed_mid_stream_then_every_committed_row_survives(
    tmp_path: Path, orders_before_kill: int
) -> None:
    path = tmp_path / "journal.sqlite"
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    acknowledged = [child.stdout.readline().strip() for _ in range(orders_before_kill)]
    child.send_signal(signal.SIGKILL)  # no close, no checkpoint, possibly mid-transaction
    acknowledged += [line.strip() for line in child.stdout if line.strip()]
    assert child.wait(timeout=10) == -signal.SIGKILL

    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with open_reader(path) as reader:
        journaled = {o.client_order_id: o.status for o in reader.orders(limit=10_000)}
    assert all(journaled.get(cid) is OrderStatus.OPEN for cid in acknowledged)
    # At most one order beyond the last acknowledged one: written (committed) but killed before its answer.
    assert len(journaled) - len(acknowledged) in (0, 1)
    reopened = open_journal(path, new_journal(tmp_path / "clock")[1])
    assert len(reopened.unresolved_orders()) == len(journaled)


def _count(path: Path, table: str) -> int:
    """Rows of ``table`` as another process sees them (its own read-only connection)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize("durable", [True, False], ids=["durable", "replay"])
def test_journal_when_a_record_fails_then_none_of_it_stays_and_every_other_record_does(
    tmp_path: Path, durable: bool
) -> None:
    path = tmp_path / "journal.sqlite"
    clock = ManualClock(NOW)
    journal = open_journal(path, clock, durable=durable)
    populate(journal, clock)
    (intent_id,) = journal.record_intents(1, [sell()])
    with pytest.raises(JournalError):  # its first row goes in, its second refers to no intent: all of it undone
        journal.record_risk_decisions([intent_id, 999_999], [RiskDecision(sell()), RiskDecision(sell())])
    with pytest.raises(JournalError):  # one row, refused
        journal.record_order(VENUE, order_request(), run_id=RUN)
    journal.record_approval(intent_id, approver="auto", verdict="approved", amount=Decimal(10), price=Decimal(150))
    journal.close()
    assert _count(path, "risk_decisions") == 3  # populate's three verdicts, none of the failed record's
    assert _count(path, "orders") == 2
    assert (_count(path, "intents"), _count(path, "approvals")) == (4, 1)


def test_journal_when_not_durable_then_its_records_reach_other_readers_in_batches_and_at_close(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite"
    clock = ManualClock(NOW)
    journal = open_journal(path, clock, durable=False)
    populate(journal, clock)
    assert _count(path, "cycles") == 0  # not committed yet: a replay's journal commits in batches
    for number in range(3, 3 + COMMIT_EVERY):
        journal.record_cycle(CycleRecord(RUN, number, clock.now(), TradingState.ACTIVE, Decimal(1), Decimal(1)))
    assert 0 < _count(path, "cycles") < COMMIT_EVERY + 2  # a batch of COMMIT_EVERY records committed, the rest not
    journal.close()
    assert _count(path, "cycles") == COMMIT_EVERY + 2
