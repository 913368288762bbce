"""Crash rig: a real `hedgebot run` process against an in-process real-time simulator, SIGKILLed mid-placement.

The simulator runs in the test's event loop on the system clock (the bot's clock too); the bot is its own process
(``sys.executable -m bot run``), so the kill is a real SIGKILL. A killer process (``tests/support/killer.py``) watches
the bot's journal read-only and kills the bot a chosen time after the k-th order row of the run appears (or the k-th
answer is journaled). A fault on ``/v5/order/create`` can widen the window: ``HELD`` holds every create request at
the venue before processing it, ``LOST`` lets the venue accept the order and withhold its answer.

Where each kill landed is read afterwards from what the journal held at the kill and what the venue saw
(``KillPoint``): the rig does not assume its plan worked.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from hedgesim import FaultKind, SimServer
from hedgesim.bybit.app import RequestRecord
from hedgesim.orders import SimOrder
from tests.support.bot_process import start_hedgebot
from tests.support.killer import COUNTS

CREATE = "/v5/order/create"

CONFIG = """\
[venues.main]
exchange = "bybit"
mode = "sim"
url = "{url}"
client_rate_limit = false
timeout_seconds = 3

[holdings]
venues = ["main"]

[policy]
ratio = 1

[execution]
leverage = 1
interval = "0.5s"
slice_max_notional = 3000
reprice_threshold_bps = 20

[risk]
max_hedge_ratio = 1
max_order_notional = 3500
max_total_hedge_notional = 90000
max_orders_per_minute = 100
max_daily_turnover = 1000000
kill_switch_file = "{folder}/hedgebot.halt"

[approval]
mode = "auto"

[journal]
path = "{folder}/journal.sqlite"

[logging]
level = "info"
format = "json"
"""


def write_config(folder: Path, url: str) -> Path:
    """The bot's configuration for a crash chain: auto approval, a 0.5 s interval, limits the trials reach."""
    path = folder / "hedgebot.toml"
    path.write_text(CONFIG.format(url=url, folder=folder), encoding="utf-8")
    return path


class KillMode(StrEnum):
    AT_ROW = "at row"  # killed the moment the k-th order row is written: aims at "before the request left"
    AFTER_ROW = "after row"  # killed 1.5-8 ms after the k-th order row, wherever that lands
    AT_ANSWER = "at answer"  # killed the moment the k-th order's answer is journaled: aims between slices
    HELD = "held"  # the venue holds each create request ``hold`` seconds before processing it; killed meanwhile
    LOST = "lost"  # the venue accepts the order and withholds its answer ``hold`` seconds; killed meanwhile


@dataclass(frozen=True, slots=True)
class KillPlan:
    mode: KillMode
    nth_order: int  # kill after this many new order rows (answers, for AT_ANSWER) of the run...
    delay: float  # ...this many seconds after it appeared
    hold: float = 0.0  # seconds the venue holds a create request (HELD) or its answer (LOST)

    @property
    def trigger(self) -> str:
        """What the killer counts: order rows ``written``, or ``answered`` ones."""
        return "answered" if self.mode is KillMode.AT_ANSWER else "written"

    def landed_by(self, kill_ms: float) -> float:
        """Wall-clock ms by which every create request sent before the kill has been processed at the venue."""
        return kill_ms + (self.hold * 1000 if self.mode is KillMode.HELD else 0)


def plan_kill(rng: random.Random, mode: KillMode, slices: int) -> KillPlan:
    """A seeded kill for a run expected to place ``slices`` orders first (k <= 3: one order's whole placement
    takes a few ms, and the run may place fewer than expected)."""
    if mode is KillMode.AT_ROW:
        return KillPlan(mode, rng.randint(1, max(1, min(3, slices))), 0.0)
    if mode is KillMode.AFTER_ROW:
        return KillPlan(mode, rng.randint(1, max(1, min(3, slices))), rng.uniform(0.0015, 0.008))
    if mode is KillMode.AT_ANSWER:
        return KillPlan(mode, rng.randint(1, max(1, min(3, slices - 1))), 0.0)
    if mode is KillMode.HELD:  # long enough for the request to land while the restarted bot reconciles
        hold = rng.uniform(0.5, 4.0)
        return KillPlan(mode, rng.randint(1, max(1, min(2, slices))), rng.uniform(0.0, min(hold, 1.0)), hold)
    return KillPlan(mode, 1, rng.uniform(0.01, 0.9), 1.0)


def kill_modes(rng: random.Random, trials: int) -> list[KillMode]:
    """A quarter each held and lost, the rest split between after-row and at-answer kills, shuffled; the last
    trial kills at the row. A kill before the request leaves keeps the symbol frozen for the executor's grace
    period, so it comes last, where that wait costs the chain nothing."""
    held = lost = trials // 4
    answers = (trials - held - lost - 1) // 2
    modes = [KillMode.HELD] * held + [KillMode.LOST] * lost + [KillMode.AT_ANSWER] * answers
    modes += [KillMode.AFTER_ROW] * (trials - 1 - len(modes))
    rng.shuffle(modes)
    return [*modes, KillMode.AT_ROW]


def apply_fault(sim: SimServer, plan: KillPlan) -> str | None:
    """Install the plan's fault on order creation; returns its id (remove it once the bot is dead)."""
    kinds = {KillMode.HELD: FaultKind.LATENCY, KillMode.LOST: FaultKind.LOSE_RESPONSE}
    kind = kinds.get(plan.mode)
    return sim.fault(kind, path=CREATE, delay=plan.hold) if kind is not None else None


# -- the bot process and its killer ------------------------------------------------------------------------


async def start_bot(config: Path, cycles: int, log: Path) -> asyncio.subprocess.Process:
    """`python -m bot run --config FILE --cycles N`, output appended to ``log``."""
    return await start_hedgebot(["run", "--config", str(config), "--cycles", str(cycles)], log)


# -- the journal at the kill -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KillRecord:
    """What the journal held the moment the bot died."""

    at_ms: float
    last_order: str | None  # client order id of the run's newest order row
    row_ms: int | None  # when that row was written
    outcome_journaled: bool  # an acknowledgement, rejection or unknown outcome was recorded for it
    slices_left: bool  # its cycle had approved intents with no order row yet


class JournalWatch:
    """A read-only view of a (possibly not yet created) journal, read between the bot's runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        """Rows of a query; none while the journal or its schema does not exist yet."""
        try:
            if self._conn is None:
                if not self.path.exists():
                    return []
                self._conn = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, isolation_level=None)
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error:
            self.close()
            return []

    def _one(self, sql: str, params: tuple[object, ...] = ()) -> object:
        rows = self._rows(sql, params)
        return rows[0][0] if rows else None

    def unknown(self) -> list[tuple[str, str, int]]:
        """(client order id, symbol, when written) of every order without a known outcome."""
        rows = self._rows(
            "SELECT client_order_id, symbol, at_ms FROM order_outcomes WHERE status IS NULL OR status = 'unknown'"
        )
        return [(str(cid), str(symbol), int(str(at_ms))) for cid, symbol, at_ms in rows]

    def count(self, trigger: str) -> int:
        """Order rows the executor wrote to send (``written``), or those with an outcome (``answered``), ever."""
        return int(self._one(COUNTS[trigger]) or 0)

    def at_kill(self, at_ms: float) -> KillRecord:
        run_id = self._one("SELECT run_id FROM runs ORDER BY started_ms DESC, rowid DESC LIMIT 1")
        if run_id is None:
            return KillRecord(at_ms, None, None, False, False)
        rows = self._rows(
            "SELECT client_order_id, intent_id, at_ms FROM orders WHERE run_id = ? AND origin = 'sent' ORDER BY rowid",
            (run_id,),
        )
        if not rows:
            return KillRecord(at_ms, None, None, False, False)
        cid, intent_id, row_ms = rows[-1]
        outcomes = self._one(
            "SELECT COUNT(*) FROM order_events WHERE client_order_id = ?"
            " AND kind IN ('acknowledged', 'rejected', 'outcome_unknown')",
            (cid,),
        )
        cycle = self._one("SELECT cycle_id FROM intents WHERE intent_id = ?", (intent_id,))
        approved = self._one(
            "SELECT COUNT(DISTINCT a.intent_id) FROM approvals a JOIN intents i ON i.intent_id = a.intent_id"
            " WHERE i.cycle_id = ? AND a.verdict = 'approved'",
            (cycle,),
        )
        ordered = self._one(
            "SELECT COUNT(DISTINCT o.intent_id) FROM orders o JOIN intents i ON i.intent_id = o.intent_id"
            " WHERE i.cycle_id = ?",
            (cycle,),
        )
        return KillRecord(
            at_ms=at_ms,
            last_order=str(cid),
            row_ms=int(str(row_ms)),
            outcome_journaled=bool(outcomes),
            slices_left=int(approved or 0) > int(ordered or 0),
        )


# -- where the kill landed ---------------------------------------------------------------------------------


class KillPoint(StrEnum):
    NO_ORDER = "before any order of the run"
    BEFORE_SEND = "order journaled, request not sent"
    HELD = "request at the venue, unanswered"
    ANSWERED = "venue accepted (or refused), outcome not journaled"
    BETWEEN_SLICES = "between slices"
    AFTER_PLACEMENT = "after the cycle's last order"


def kill_point(record: KillRecord, requests: list[RequestRecord], venue_orders: list[SimOrder]) -> KillPoint:
    """Classify a kill from the journal at the kill and the venue's request log and orders, read once every
    request held at the venue has been answered (see ``KillPlan.landed_by``)."""
    cid = record.last_order
    if cid is None:
        return KillPoint.NO_ORDER
    if record.outcome_journaled:
        return KillPoint.BETWEEN_SLICES if record.slices_left else KillPoint.AFTER_PLACEMENT
    create = next((r for r in requests if r.path == CREATE and r.params.get("orderLinkId") == cid), None)
    if create is None:
        return KillPoint.BEFORE_SEND
    order = next((o for o in venue_orders if o.link_id == cid), None)
    accepted_before = order is not None and order.created_ms <= record.at_ms
    return KillPoint.ANSWERED if accepted_before or create.wall_ms <= record.at_ms else KillPoint.HELD
