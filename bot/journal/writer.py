"""The journal writer: the bot's one connection, appending every decision, order event, fill and payment.

Each ``record_*`` call is one transaction, committed to disk (synchronous=FULL) before it returns, so a
crash right after a call never loses what it recorded. A journal opened ``durable=False`` (a replay's, which
records no money) keeps each call atomic but commits every ``COMMIT_EVERY`` calls and on ``close``: a commit per
call was most of its cost. The order protocol, in the executor:

    ticket = journal.record_order(venue, request, run_id=run, intent_id=intent_id)  # on disk first...
    try:
        order = await port.place_order(ticket.request)                               # ...then sent
    except AmbiguousOrderOutcome as exc:
        journal.record_outcome_unknown(ticket, str(exc))   # reconcile by client order id before anything else
    except OrderRejected as exc:
        journal.record_rejected(ticket, str(exc))
    else:
        journal.record_acknowledged(ticket, order)

A client order id can be journaled once only (a second ``record_order`` with it raises ``JournalError``),
so no intent is ever sent twice under the same id.

The journal grows with activity, not with time: a quiet cycle that decided what the cycle before it decided extends
that cycle's run of unchanged cycles in place (``record_decided``; the rules in ``bot.journal.folding``), a policy
state equal to the run's last one is not written again, and a heartbeat updates its run's one row.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import structlog

from bot.clock import Clock
from bot.domain import Fill, FundingPayment, HedgeTarget, Market, Order, OrderIntent, OrderStatus
from bot.errors import JournalError
from bot.exchange.port import OrderRequest
from bot.journal.codec import dec_text, ms, to_json
from bot.journal.folding import EXTEND, QuietRun, figures_of, fold_key
from bot.journal.reader import JournalReader
from bot.journal.records import (
    CycleRecord,
    DecisionRecord,
    ExplainedPosition,
    HoldingWatch,
    JournalOrder,
    OrderEventKind,
    OrderOrigin,
    OrderTicket,
)
from bot.journal.rows import Row, cycle_row, decision_row, insert, intent_rows, order_row, target_rows
from bot.journal.schema import SCHEMA_VERSION, connect_writer
from bot.risk.decision import RiskDecision
from bot.risk.state import Transition

log = structlog.get_logger(__name__)

T = TypeVar("T")
COMMIT_EVERY = 1000  # records per commit in a journal that is not durable
ORDER_TABLES = ("orders", "order_events")  # what an order's outcome is read from
POSITION_TABLES = ("fills", "position_baselines")  # what explains a position


def open_journal(path: Path, clock: Clock, *, durable: bool = True) -> Journal:
    """Open (creating and migrating if needed) the journal for the bot, the one writer (``durable``: see
    ``connect_writer``)."""
    journal = Journal(connect_writer(path, durable=durable), clock, durable=durable)
    log.info("journal.opened", path=str(path), schema_version=SCHEMA_VERSION)
    return journal


class Journal(JournalReader):
    """The append-only journal, opened for writing by the bot (one writer); every query of the reader too."""

    def __init__(self, conn: sqlite3.Connection, clock: Clock, *, durable: bool = True) -> None:
        super().__init__(conn)
        self._clock = clock
        self._durable = durable
        self._uncommitted = 0  # records since the last commit (not durable)
        # Fills and funding payments known to be in the journal (recorded, or found there): the venue's replies
        # repeat them cycle after cycle, and an append-only journal never loses one, so they are not offered again.
        self._recorded: set[tuple[str, str, str | int]] = set()
        # Reads the loop repeats every cycle, remembered with the writes to their tables they were made after: this
        # is the journal's one writer, so until it writes to one of those tables again they are what a read would say.
        self._writes: Counter[str] = Counter()  # appends per table
        self._remembered: dict[tuple[str, str | None], tuple[tuple[int, ...], list[Any]]] = {}
        self._quiet: dict[str, QuietRun] = {}  # by run id: the run of unchanged cycles its next quiet cycle may extend
        self._policy: tuple[str, str] | None = None  # the last policy state written: (run id, JSON)

    def close(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")
        super().close()

    @contextmanager
    def _write(
        self, what: str, *, one_statement: bool = False, breaks_runs: bool = True
    ) -> Iterator[sqlite3.Connection]:
        """One record, all of it or none of it if the block raises: its own transaction, on disk when the block
        ends; or, not durable, a savepoint in the open transaction (none for ``one_statement``: SQLite undoes a
        failed statement by itself), committed with the next ``COMMIT_EVERY`` records or on ``close``. A record
        that changed a row ends the run of unchanged cycles, unless it is one that may not (``breaks_runs``)."""
        conn = self._conn
        changes = conn.total_changes
        undo: tuple[str, ...]
        begin, end, undo = "BEGIN IMMEDIATE", "COMMIT", ("ROLLBACK",)
        if not self._durable:
            if not conn.in_transaction:
                conn.execute("BEGIN IMMEDIATE")
            begin, end, undo = (
                ("", "", ()) if one_statement else ("SAVEPOINT r", "RELEASE r", ("ROLLBACK TO r", "RELEASE r"))
            )
        try:
            if begin:
                conn.execute(begin)
            yield conn
            if end:
                conn.execute(end)
        except BaseException as exc:
            if undo and conn.in_transaction:
                for statement in undo:
                    conn.execute(statement)
            if isinstance(exc, sqlite3.Error):
                raise JournalError(f"cannot record {what}: {exc}") from exc
            raise
        if breaks_runs and conn.total_changes != changes:
            self._quiet.clear()
        if not self._durable:
            self._uncommitted += 1
            if self._uncommitted >= COMMIT_EVERY:
                conn.execute("COMMIT")
                self._uncommitted = 0

    def _append(self, what: str, table: str, rows: Iterable[Row], *, or_ignore: bool = False) -> list[int]:
        """Insert rows (column name -> value) in one transaction; returns each row's id (0 when ignored). No rows:
        no transaction."""
        rows = list(rows)
        if not rows:
            return []
        self._writes[table] += 1
        with self._write(what, one_statement=len(rows) == 1) as conn:
            return [insert(conn, table, row, or_ignore=or_ignore) for row in rows]

    def _now(self) -> int:
        return ms(self._clock.now())

    def unresolved_orders(self, venue: str | None = None) -> list[JournalOrder]:
        """As the reader's, read again only after an order or order event was written (a cycle asks three times)."""
        return self._remember(("unresolved", venue), ORDER_TABLES, lambda: JournalReader.unresolved_orders(self, venue))

    def explained_positions(self) -> list[ExplainedPosition]:
        """As the reader's, read again only after a fill or a position baseline was written (asked every cycle)."""
        return self._remember(("explained", None), POSITION_TABLES, lambda: JournalReader.explained_positions(self))

    def _remember(self, key: tuple[str, str | None], tables: tuple[str, ...], read: Callable[[], list[T]]) -> list[T]:
        stamp = tuple(self._writes[table] for table in tables)
        known = self._remembered.get(key)
        if known is None or known[0] != stamp:
            known = self._remembered[key] = (stamp, read())
        return list(known[1])

    # -- runs and cycles ---------------------------------------------------------------------------------

    def start_run(
        self, run_id: str, *, mode: str, config_hash: str, version: str, detail: Mapping[str, Any] | None = None
    ) -> None:
        row = {
            "run_id": run_id, "started_ms": self._now(), "mode": mode, "config_hash": config_hash,
            "version": version, "detail": to_json(detail or {}),
        }  # fmt: skip
        self._append(f"the start of run {run_id}", "runs", [row])

    def stop_run(self, run_id: str, *, exit_code: int, reason: str) -> None:
        row = {"run_id": run_id, "stopped_ms": self._now(), "exit_code": exit_code, "reason": reason}
        self._append(f"the stop of run {run_id}", "run_stops", [row])

    def record_decided(
        self,
        cycle: CycleRecord,
        targets: Iterable[HedgeTarget],
        decisions: Sequence[DecisionRecord],
        intents: Sequence[OrderIntent],
        *,
        cancels: bool,
    ) -> tuple[int | None, tuple[int, ...]]:
        """A decided cycle, in one transaction: its summary, targets, decisions and intents (``cancels``: it cancels
        resting orders too). A quiet cycle repeating the run of unchanged cycles before it extends the run instead
        (``bot.journal.folding``). Returns its cycle id (None when it extended a run: it has no rows of its own) and
        its intents' ids, in order."""
        decided = [decision_row(0, d) for d in decisions]
        key = None if intents or cancels else fold_key(cycle, decided)
        run = self._quiet.pop(cycle.run_id, None)  # (several runs may share the journal: each has its own)
        if key is not None and run is not None and run.extended_by(cycle, key):
            with self._write(f"cycle {cycle.number} (unchanged)", one_statement=True, breaks_runs=False) as conn:
                conn.execute(EXTEND, (run.cycle_id, cycle.number, ms(cycle.at), figures_of(decided)))
            self._quiet[cycle.run_id] = run
            return None, ()
        with self._write(f"cycle {cycle.number} of run {cycle.run_id}", breaks_runs=False) as conn:
            cycle_id = insert(conn, "cycles", cycle_row(cycle))
            for row in target_rows(cycle_id, targets):
                insert(conn, "targets", row)
            for row in decided:
                insert(conn, "decisions", {**row, "cycle_id": cycle_id})
            intent_ids = tuple(insert(conn, "intents", row) for row in intent_rows(cycle_id, intents))
        if key is not None:
            self._quiet[cycle.run_id] = QuietRun.started(cycle, cycle_id, key)
        return cycle_id, intent_ids

    def record_cycle(self, cycle: CycleRecord) -> int:
        """Append a cycle's summary; returns the cycle id the cycle's other rows refer to."""
        return self._append(f"cycle {cycle.number} of run {cycle.run_id}", "cycles", [cycle_row(cycle)])[0]

    def record_targets(self, cycle_id: int, targets: Iterable[HedgeTarget]) -> None:
        self._append(f"the targets of cycle {cycle_id}", "targets", target_rows(cycle_id, targets))

    def record_decisions(self, cycle_id: int, decisions: Iterable[DecisionRecord]) -> None:
        """Append a cycle's decisions. An instrument's row is keyed by its symbol in the ``asset`` column (so
        ``why`` finds it by symbol too), with no value or ratio: the stored format the reader tells apart."""
        rows = [decision_row(cycle_id, d) for d in decisions]
        self._append(f"the decisions of cycle {cycle_id}", "decisions", rows)

    def record_intents(self, cycle_id: int, intents: Iterable[OrderIntent]) -> tuple[int, ...]:
        """Append the planner's intents; returns their ids, in order."""
        return tuple(self._append(f"the intents of cycle {cycle_id}", "intents", intent_rows(cycle_id, intents)))

    def record_risk_decisions(
        self, intent_ids: Sequence[int], decisions: Sequence[RiskDecision], *, stage: str = "plan"
    ) -> None:
        """The gate's verdicts, one per intent id (``stage``: "plan", or a re-check: "approval", "reprice")."""
        if len(intent_ids) != len(decisions):
            raise JournalError(f"{len(intent_ids)} intent ids for {len(decisions)} risk decisions")
        if not intent_ids:
            return
        with self._write("risk decisions") as conn:
            for intent_id, decision in zip(intent_ids, decisions, strict=True):
                row = {"intent_id": intent_id, "at_ms": self._now(), "stage": stage, "approved": decision.approved}
                decision_id = insert(conn, "risk_decisions", row)
                for position, d in enumerate(decision.denials):
                    denial = {
                        "risk_decision_id": decision_id, "position": position, "code": d.code.value,
                        "message": d.message, "value": dec_text(d.value), "limit_value": dec_text(d.limit),
                    }  # fmt: skip
                    insert(conn, "risk_denials", denial)

    def record_approval(
        self, intent_id: int, *, approver: str, verdict: str, amount: Decimal, price: Decimal, note: str = ""
    ) -> None:
        """An approver's answer: who ("auto" or the person), the verdict, and the amount and price it let through
        (an edit shows as a difference from the intent's)."""
        row = {
            "intent_id": intent_id, "at_ms": self._now(), "approver": approver, "verdict": verdict,
            "amount": dec_text(amount), "price": dec_text(price), "note": note,
        }  # fmt: skip
        self._append(f"the approval of intent {intent_id}", "approvals", [row])

    # -- orders ------------------------------------------------------------------------------------------

    def record_order(
        self, venue: str, request: OrderRequest, *, run_id: str | None, intent_id: int | None = None
    ) -> OrderTicket:
        """Write an order request BEFORE it is sent; the returned ticket carries the request to send."""
        row = order_row(venue, run_id, intent_id, OrderOrigin.SENT, request.client_order_id, request)
        self._append(f"order {request.client_order_id}", "orders", [{**row, "at_ms": self._now()}])
        return OrderTicket(venue, request)

    def record_acknowledged(self, ticket: OrderTicket, order: Order) -> None:
        """The venue answered the create request (a post-only order may come back already CANCELED)."""
        self._event(ticket.client_order_id, OrderEventKind.ACKNOWLEDGED, order.status, order, order.reject_reason)

    def record_rejected(self, ticket: OrderTicket, reason: str) -> None:
        """The venue refused the create request: final, nothing rests."""
        self._event(ticket.client_order_id, OrderEventKind.REJECTED, OrderStatus.REJECTED, None, reason)

    def record_outcome_unknown(self, ticket: OrderTicket, reason: str) -> None:
        """The create request failed ambiguously: the order may or may not exist at the venue."""
        self._event(ticket.client_order_id, OrderEventKind.OUTCOME_UNKNOWN, OrderStatus.UNKNOWN, None, reason)

    def record_order_update(self, order: Order, detail: str = "") -> None:
        """A status read later (fetch by id, reconciliation, the result of a cancel) of a journaled order."""
        if not order.client_order_id:
            raise JournalError(f"an update of venue order {order.order_id} without a client order id")
        self._event(order.client_order_id, OrderEventKind.UPDATE, order.status, order, detail or order.reject_reason)

    def record_cancel_requested(self, client_order_id: str, reason: str) -> None:
        self._event(client_order_id, OrderEventKind.CANCEL_REQUESTED, None, None, reason)

    def adopt_order(self, venue: str, order: Order, *, run_id: str | None, detail: str = "") -> None:
        """Reconciliation found this order of ours live on the venue: journal it (once) and its state."""
        cid = order.client_order_id
        if not cid:
            raise JournalError(f"cannot adopt venue order {order.order_id}: it has no client order id")
        row = order_row(venue, run_id, None, OrderOrigin.ADOPTED, cid, order)
        self._writes.update(ORDER_TABLES)
        with self._write(f"the adoption of order {cid}") as conn:
            insert(conn, "orders", {**row, "at_ms": self._now()}, or_ignore=True)
            insert(conn, "order_events", self._event_row(cid, OrderEventKind.ADOPTED, order.status, order, detail))

    def _event(
        self, cid: str, kind: OrderEventKind, status: OrderStatus | None, order: Order | None, detail: str | None
    ) -> None:
        self._append(
            f"{kind.value} of order {cid}", "order_events", [self._event_row(cid, kind, status, order, detail)]
        )

    def _event_row(
        self, cid: str, kind: OrderEventKind, status: OrderStatus | None, order: Order | None, detail: str | None
    ) -> Row:
        return {
            "client_order_id": cid, "at_ms": self._now(), "kind": kind.value, "detail": detail or "",
            "status": status.value if status else None,
            "order_id": order.order_id if order else None,
            "filled": dec_text(order.filled) if order else None,
            "average_price": dec_text(order.average_price) if order else None,
        }  # fmt: skip

    # -- fills, funding, positions -----------------------------------------------------------------------

    def record_fills(self, venue: str, fills: Iterable[Fill], markets: Mapping[str, Market]) -> int:
        """Append fills not seen before (keyed by venue, symbol and venue trade id); returns how many were new."""
        fills = list(fills)
        missing = sorted({f.symbol for f in fills} - set(markets))
        if missing:
            raise JournalError(f"cannot record fills on {', '.join(missing)}: no market specification")
        fills = [f for f in fills if (venue, f.symbol, f.trade_id) not in self._recorded]
        rows = [
            {"venue": venue, "symbol": f.symbol, "trade_id": f.trade_id, "client_order_id": f.client_order_id,
             "order_id": f.order_id, "side": f.side.value, "amount": dec_text(f.amount), "price": dec_text(f.price),
             "notional": dec_text(markets[f.symbol].notional(f.amount, f.price)), "fee": dec_text(f.fee),
             "fee_currency": f.fee_currency, "maker": f.maker, "at_ms": ms(f.timestamp), "recorded_ms": self._now()}
            for f in fills
        ]  # fmt: skip
        ids = self._append(f"{len(rows)} fills", "fills", rows, or_ignore=True)
        self._recorded.update((venue, f.symbol, f.trade_id) for f in fills)
        return sum(1 for rowid in ids if rowid)

    def record_funding(self, venue: str, payments: Iterable[FundingPayment]) -> int:
        """Append funding settlements not seen before; returns how many were new.

        Keyed by (venue, symbol, settlement time): a one-way position settles once per instrument per funding
        time, whatever id the venue gives the payment (kept for reference)."""
        payments = [p for p in payments if (venue, p.symbol, ms(p.timestamp)) not in self._recorded]
        rows = [
            {"venue": venue, "symbol": p.symbol, "at_ms": ms(p.timestamp), "payment_id": p.payment_id,
             "amount": dec_text(p.amount), "currency": p.currency, "rate": dec_text(p.rate),
             "position_contracts": dec_text(p.position_contracts), "recorded_ms": self._now()}
            for p in payments
        ]  # fmt: skip
        ids = self._append(f"{len(rows)} funding payments", "funding", rows, or_ignore=True)
        self._recorded.update((venue, p.symbol, ms(p.timestamp)) for p in payments)
        return sum(1 for rowid in ids if rowid)

    def record_position_baseline(
        self,
        venue: str,
        symbol: str,
        contracts: Decimal,
        *,
        as_of: datetime,
        reason: str,
        run_id: str | None,
        price: Decimal | None = None,
    ) -> None:
        """The position was ``contracts`` at venue time ``as_of`` (adopted, or a first start), its mark ``price``:
        fills after ``as_of`` explain changes from there on."""
        row = {
            "venue": venue, "symbol": symbol, "contracts": dec_text(contracts), "as_of_ms": ms(as_of),
            "reason": reason, "run_id": run_id, "recorded_ms": self._now(), "price": dec_text(price),
        }  # fmt: skip
        self._append(f"a baseline for {symbol}", "position_baselines", [row])

    # -- state, errors, policy state, heartbeats --------------------------------------------------------

    def record_state_change(self, run_id: str | None, change: Transition) -> None:
        row = {
            "run_id": run_id, "at_ms": self._now(), "from_state": change.before.trading.value,
            "to_state": change.after.trading.value, "trigger": change.event.trigger.value,
            "detail": change.event.detail,
        }  # fmt: skip
        self._append("a trading-state change", "state_changes", [row])

    def record_error(
        self,
        run_id: str | None,
        kind: str,
        message: str,
        *,
        symbol: str | None = None,
        client_order_id: str | None = None,
    ) -> None:
        row = {
            "run_id": run_id, "at_ms": self._now(), "kind": kind, "message": message, "symbol": symbol,
            "client_order_id": client_order_id,
        }  # fmt: skip
        self._append(f"an error ({kind})", "errors", [row])

    def record_policy_state(self, run_id: str, state: Mapping[str, Any], *, cycle_id: int | None = None) -> None:
        """The planner's explicit state after a cycle (``cycle_id``: None after one that extended a run of unchanged
        cycles), as JSON (Decimals become strings); not written again while it stays what this run last wrote."""
        text = to_json(state)
        if self._policy == (run_id, text):
            return
        row = {"run_id": run_id, "cycle_id": cycle_id, "at_ms": self._now(), "state": text}
        run = self._quiet.get(run_id)  # the state of the cycle that started a run is part of it; a later change ends it
        with self._write("the policy state", one_statement=True, breaks_runs=run is None or run.cycle_id != cycle_id):
            insert(self._conn, "policy_states", row)
        self._policy = (run_id, text)

    def record_heartbeat(self, run_id: str, *, switch: str | None = None) -> None:
        """The bot is alive now (what `hedgebot watchdog` watches): its run's one row, updated in place; ``switch``:
        the venue's dead-man's switch state, when it changed (else the run's last one is kept)."""
        with self._write("a heartbeat", one_statement=True, breaks_runs=False) as conn:
            conn.execute(
                "INSERT INTO heartbeats (run_id, at_ms, switch) VALUES (?, ?, ?) ON CONFLICT (run_id) DO UPDATE"
                " SET at_ms = excluded.at_ms, switch = COALESCE(excluded.switch, heartbeats.switch)",
                (run_id, self._now(), switch),
            )

    def record_holding_watch(self, run_id: str | None, watch: HoldingWatch) -> None:
        """A watched wallet holding's new state (``bot.execution.vanished``)."""
        since = ms(watch.since) if watch.since is not None else None
        row = {
            "run_id": run_id, "at_ms": self._now(), "asset": watch.asset, "source": watch.source,
            "state": watch.state.value, "instrument": watch.instrument, "since_ms": since,
        }  # fmt: skip
        self._append("a watched holding's state", "holding_watches", [row])

    def record_alert_condition(self, key: str, kind: str | None) -> None:
        """The alert condition ``key`` alerted (``kind``: the alert's) or, ``kind`` None, cleared."""
        row = {"at_ms": self._now(), "key": key, "kind": kind, "active": kind is not None}
        self._append("an alert condition", "alert_conditions", [row])
