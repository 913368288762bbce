"""Journal queries: what the loop, reconciliation and `hedgebot journal` ask of the journal (read-only)."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from bot.domain import ZERO, OrderStatus, ReasonCode, Side, TradingState
from bot.errors import JournalError
from bot.journal.codec import moment, ms, text_dec
from bot.journal.ledger import OURS, LedgerQueries, fill_of
from bot.journal.records import (
    AlertCondition,
    CycleRow,
    DecisionRecord,
    ErrorRow,
    ExplainedPosition,
    FundingTotal,
    HoldingDecisionRecord,
    HoldingWatch,
    InstrumentDecisionRecord,
    JournalFill,
    JournalOrder,
    OrderOrigin,
    WatchState,
    WhyRow,
)
from bot.journal.schema import connect_reader
from bot.risk.context import RiskHistory, utc_day_start
from bot.risk.state import RiskState, Trigger

# Outcome unknown (no status, or UNKNOWN) or not final (OPEN): what reconciliation must resolve.
_UNRESOLVED = "(status IS NULL OR status NOT IN ({}))".format(
    ", ".join(f"'{s.value}'" for s in OrderStatus if s.is_final)
)


def open_reader(path: Path) -> JournalReader:
    """Open an existing journal read-only: never creates or changes a file; safe while the bot writes."""
    return JournalReader(connect_reader(path))


class JournalReader(LedgerQueries):
    """The journal's queries, over a connection (read-only from ``open_reader``, the writer's in ``Journal``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        conn.row_factory = sqlite3.Row
        self._conn = conn

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise JournalError(f"cannot read the journal: {exc}") from exc

    # -- cycles and decisions ----------------------------------------------------------------------------

    def last_cycles(self, limit: int = 10) -> list[CycleRow]:
        """The newest ``limit`` cycles, newest first, with counts of intents, gate verdicts and orders."""
        rows = self._rows(
            """
            SELECT c.*, u.repeats, u.last_number, u.last_ms,
                (SELECT json_extract(r.detail, '$.venue') FROM runs r WHERE r.run_id = c.run_id) AS venue,
                (SELECT COUNT(*) FROM intents i WHERE i.cycle_id = c.cycle_id) AS n_intents,
                (SELECT COUNT(*) FROM intents i WHERE i.cycle_id = c.cycle_id AND EXISTS (
                    SELECT 1 FROM risk_decisions r WHERE r.intent_id = i.intent_id AND r.approved = 1)) AS n_approved,
                (SELECT COUNT(*) FROM intents i WHERE i.cycle_id = c.cycle_id AND EXISTS (
                    SELECT 1 FROM risk_decisions r WHERE r.intent_id = i.intent_id AND r.approved = 0)) AS n_denied,
                (SELECT COUNT(*) FROM orders o JOIN intents i ON i.intent_id = o.intent_id
                    WHERE i.cycle_id = c.cycle_id) AS n_orders
            FROM cycles c LEFT JOIN unchanged_cycles u ON u.cycle_id = c.cycle_id ORDER BY c.cycle_id DESC LIMIT ?
            """,
            (limit,),
        )
        return [
            CycleRow(
                cycle_id=r["cycle_id"],
                run_id=r["run_id"],
                venue=r["venue"],
                number=r["number"],
                at=moment(r["at_ms"]),
                trading_state=r["trading_state"],
                holdings_value=Decimal(r["holdings_value"]),
                hedge_notional=Decimal(r["hedge_notional"]),
                intents=r["n_intents"],
                approved=r["n_approved"],
                denied=r["n_denied"],
                orders=r["n_orders"],
                summary=json.loads(r["summary"]),
                repeats=r["repeats"] or 0,
                last_number=r["last_number"],
                last_at=moment(r["last_ms"]) if r["last_ms"] is not None else None,
            )
            for r in rows
        ]

    def why(self, asset: str, limit: int = 5) -> list[WhyRow]:
        """A holding's latest decisions (or, given a symbol, an instrument's), newest first, each with the gate's
        denials on its instrument. A run of unchanged cycles reads as its last cycle's decision (its figures: a
        target that drifted, the prices), saying since when and how often it repeated."""
        key = asset.upper()
        rows = self._rows(
            "SELECT d.*, c.at_ms, u.repeats, u.last_ms, json_extract(u.figures, ?) AS last_figures"
            " FROM decisions d JOIN cycles c ON c.cycle_id = d.cycle_id"
            " LEFT JOIN unchanged_cycles u ON u.cycle_id = d.cycle_id"
            " WHERE d.asset = ? ORDER BY d.cycle_id DESC, d.decision_id DESC LIMIT ?",
            (f'$."{key}"', key, limit),
        )
        return [
            WhyRow(
                cycle_id=r["cycle_id"],
                at=moment(r["at_ms"] if r["last_ms"] is None else r["last_ms"]),
                decision=_decision({**dict(r), **json.loads(r["last_figures"] or "{}")}),
                denials=self._denials(r["cycle_id"], r["symbol"]),
                repeats=r["repeats"] or 0,
                since=moment(r["at_ms"]) if r["last_ms"] is not None else None,
            )
            for r in rows
        ]

    def _denials(self, cycle_id: int, symbol: str | None) -> tuple[str, ...]:
        if symbol is None:
            return ()
        rows = self._rows(
            "SELECT DISTINCT n.message FROM risk_denials n JOIN risk_decisions r USING (risk_decision_id)"
            " JOIN intents i ON i.intent_id = r.intent_id WHERE i.cycle_id = ? AND i.symbol = ?"
            " ORDER BY r.risk_decision_id, n.position",
            (cycle_id, symbol),
        )
        return tuple(r["message"] for r in rows)

    # -- orders ------------------------------------------------------------------------------------------

    def orders(self, limit: int = 50, symbol: str | None = None, unresolved: bool = False) -> list[JournalOrder]:
        """The newest orders first; ``unresolved``: only those whose outcome is unknown or not final."""
        where, params = _where(symbol=symbol)
        if unresolved:
            where += f" AND {_UNRESOLVED}"
        rows = self._rows(
            f"SELECT * FROM order_outcomes WHERE {where} ORDER BY at_ms DESC, client_order_id DESC LIMIT ?",
            (*params, limit),
        )
        return [_order(r) for r in rows]

    def order(self, client_order_id: str) -> JournalOrder | None:
        rows = self._rows("SELECT * FROM order_outcomes WHERE client_order_id = ?", (client_order_id,))
        return _order(rows[0]) if rows else None

    def unresolved_orders(self, venue: str | None = None) -> list[JournalOrder]:
        """Orders with no outcome, an UNKNOWN outcome, or still OPEN, oldest first: reconcile these first."""
        where, params = _where(venue=venue)
        rows = self._rows(
            f"SELECT * FROM order_outcomes WHERE {where} AND {_UNRESOLVED} ORDER BY at_ms, client_order_id", params
        )
        return [_order(r) for r in rows]

    def orders_sent_since(self, since: datetime, venue: str | None = None) -> int:
        """Order requests the bot wrote (to send) at or after ``since`` (to ``venue``, if given): the order-rate input."""
        where, params = _where(venue=venue)
        rows = self._rows(
            f"SELECT COUNT(*) AS n FROM orders WHERE {where} AND origin = ? AND at_ms >= ?",
            (*params, OrderOrigin.SENT.value, ms(since)),
        )
        return int(rows[0]["n"])

    def denied_on(self, code: str) -> int:
        """How many times the risk gate denied an order on ``code`` (a ``DenialCode``: a limit's key), at any stage."""
        rows = self._rows("SELECT COUNT(DISTINCT risk_decision_id) AS n FROM risk_denials WHERE code = ?", (code,))
        return int(rows[0]["n"])

    # -- fills and funding -------------------------------------------------------------------------------

    def fills(self, limit: int = 50, symbol: str | None = None, since: datetime | None = None) -> list[JournalFill]:
        """The newest fills first."""
        where, params = _where(symbol=symbol, since=since)
        rows = self._rows(
            f"SELECT * FROM fills WHERE {where} ORDER BY at_ms DESC, rowid DESC LIMIT ?", (*params, limit)
        )
        return [JournalFill(venue=r["venue"], fill=fill_of(r), notional=Decimal(r["notional"])) for r in rows]

    def latest_fill_at(self, venue: str, symbols: Collection[str]) -> datetime | None:
        """When the newest recorded fill on any of ``symbols`` executed: where the next fill sync starts."""
        return self._latest("fills", venue, symbols)

    def latest_funding_at(self, venue: str, symbols: Collection[str]) -> datetime | None:
        """When the newest recorded funding settlement on any of ``symbols`` happened."""
        return self._latest("funding", venue, symbols)

    def _latest(self, table: str, venue: str, symbols: Collection[str]) -> datetime | None:
        marks = ", ".join("?" * len(symbols))
        query = f"SELECT MAX(at_ms) AS at FROM {table} WHERE venue = ? AND symbol IN ({marks})"
        rows = self._rows(query, (venue, *symbols))
        return moment(rows[0]["at"]) if rows and rows[0]["at"] is not None else None

    def turnover_since(self, since: datetime) -> Decimal:
        """Filled notional (quote currency) of the bot's own fills executed at or after ``since``."""
        rows = self._rows(f"SELECT notional FROM fills WHERE at_ms >= ? AND {OURS}", (ms(since),))
        return sum((Decimal(r["notional"]) for r in rows), ZERO)

    def contract_prices(self, venue: str) -> dict[str, Decimal]:
        """Per instrument on ``venue``, the quote value of one contract at the price of our latest fill there."""
        rows = self._rows(
            f"SELECT symbol, amount, notional FROM fills WHERE venue = ? AND {OURS} ORDER BY at_ms, rowid", (venue,)
        )
        return {r["symbol"]: Decimal(r["notional"]) / Decimal(r["amount"]) for r in rows if Decimal(r["amount"])}

    def first_run_at(self, venue: str) -> datetime | None:
        """When the journal started watching ``venue`` (its first run there): fills before it explain nothing."""
        rows = self._rows("SELECT MIN(started_ms) AS at FROM runs WHERE json_extract(detail, '$.venue') = ?", (venue,))
        return moment(rows[0]["at"]) if rows and rows[0]["at"] is not None else None

    def funding_cost_since(self, since: datetime) -> Decimal:
        """Net funding paid since ``since``: > 0 we paid more than we received."""
        rows = self._rows("SELECT amount FROM funding WHERE at_ms >= ?", (ms(since),))
        return -sum((Decimal(r["amount"]) for r in rows), ZERO)

    def funding_totals(self, since: datetime | None = None) -> list[FundingTotal]:
        where, params = _where(since=since)
        rows = self._rows(f"SELECT venue, symbol, currency, amount FROM funding WHERE {where}", params)
        groups: dict[tuple[str, str, str], list[Decimal]] = defaultdict(list)
        for r in rows:
            groups[(r["venue"], r["symbol"], r["currency"])].append(Decimal(r["amount"]))
        return [
            FundingTotal(
                venue=venue,
                symbol=symbol,
                currency=currency,
                payments=len(amounts),
                received=sum((a for a in amounts if a > 0), ZERO),
                paid=-sum((a for a in amounts if a < 0), ZERO),
                net=sum(amounts, ZERO),
            )
            for (venue, symbol, currency), amounts in sorted(groups.items())
        ]

    # -- positions, state, history -----------------------------------------------------------------------

    def explained_positions(self) -> list[ExplainedPosition]:
        """Per instrument: the latest baseline plus every fill of the bot's own orders after its ``as_of``.

        Only our fills explain a position: a fill of a foreign order (a manual trade, a liquidation) on a hedge
        instrument is recorded but leaves a difference that reconciliation refuses to trade on."""
        baselines = {
            (r["venue"], r["symbol"]): r
            for r in self._rows("SELECT * FROM position_baselines ORDER BY baseline_id")  # the latest wins
        }
        fills = self._rows(f"SELECT venue, symbol, side, amount, at_ms FROM fills WHERE {OURS}")
        keys = sorted({*baselines, *((r["venue"], r["symbol"]) for r in fills)})
        result = []
        for venue, symbol in keys:
            base = baselines.get((venue, symbol))
            after = base["as_of_ms"] if base is not None else None
            moved = sum(
                (
                    Side(r["side"]).sign * Decimal(r["amount"])
                    for r in fills
                    if (r["venue"], r["symbol"]) == (venue, symbol) and (after is None or r["at_ms"] > after)
                ),
                ZERO,
            )
            start = Decimal(base["contracts"]) if base is not None else ZERO
            result.append(
                ExplainedPosition(
                    venue=venue,
                    symbol=symbol,
                    baseline=start,
                    baseline_as_of=moment(after) if after is not None else None,
                    from_fills=moved,
                    contracts=start + moved,
                )
            )
        return result

    def risk_history(self, now: datetime, venue: str | None = None) -> RiskHistory:
        """The gate's history inputs at ``now``: orders in the last minute (sent to ``venue``, if given: each venue's
        account has its own pace), today's turnover and funding cost (of every venue: the portfolio's)."""
        today = utc_day_start(now)
        return RiskHistory(
            orders_last_minute=self.orders_sent_since(now - timedelta(minutes=1), venue),
            turnover_today=self.turnover_since(today),
            funding_cost_today=self.funding_cost_since(today),
        )

    def latest_risk_state(self, venue: str | None = None) -> RiskState | None:
        """The trading state the last recorded change left the bot in (to resume a halt after a restart); with
        ``venue``, the last change a run on that venue recorded, or one recorded outside any run."""
        where, params = _of_venue(venue, outside_runs=True)
        rows = self._rows(
            f"SELECT to_state, trigger, detail FROM state_changes WHERE {where} ORDER BY change_id DESC LIMIT 1", params
        )
        if not rows:
            return None
        r = rows[0]
        return RiskState(TradingState(r["to_state"]), Trigger(r["trigger"]), r["detail"])

    def errors(self, limit: int = 50, kind: str | None = None) -> list[ErrorRow]:
        """The newest errors and anomalies first (of one ``kind``, if given)."""
        where, params = ("kind = ?", (kind,)) if kind is not None else ("1 = 1", ())
        rows = self._rows(f"SELECT * FROM errors WHERE {where} ORDER BY error_id DESC LIMIT ?", (*params, limit))
        return [
            ErrorRow(moment(r["at_ms"]), r["run_id"], r["kind"], r["message"], r["symbol"], r["client_order_id"])
            for r in rows
        ]

    def holding_watches(self) -> list[HoldingWatch]:
        """The wallet holdings watched (``WatchState.HEDGED`` or ``MISSING`` in their latest row), by asset and
        source."""
        rows = self._rows(
            "SELECT * FROM holding_watches w WHERE watch_id = (SELECT MAX(watch_id) FROM holding_watches l "
            "WHERE l.asset = w.asset AND l.source = w.source) AND state IN (?, ?) ORDER BY asset, source",
            (WatchState.HEDGED.value, WatchState.MISSING.value),
        )
        return [
            HoldingWatch(
                r["asset"],
                r["source"],
                WatchState(r["state"]),
                r["instrument"],
                moment(r["since_ms"]) if r["since_ms"] is not None else None,
            )
            for r in rows
        ]

    def open_alert_conditions(self) -> list[AlertCondition]:
        """The alert conditions alerted and not cleared since, oldest first."""
        rows = self._rows(
            "SELECT key, kind, at_ms FROM alert_conditions c WHERE active AND condition_id = "
            "(SELECT MAX(condition_id) FROM alert_conditions l WHERE l.key = c.key) ORDER BY condition_id"
        )
        return [AlertCondition(r["key"], r["kind"], moment(r["at_ms"])) for r in rows]

    def latest_policy_state(self, run_id: str | None = None, venue: str | None = None) -> dict[str, Any] | None:
        """The newest policy state blob (of ``run_id``, or of any run on ``venue``, or of any run), as the JSON data it
        was saved as."""
        where, params = ("run_id = ?", (run_id,)) if run_id is not None else _of_venue(venue)
        rows = self._rows(
            f"SELECT state FROM policy_states WHERE {where} ORDER BY policy_state_id DESC LIMIT 1", params
        )
        return dict(json.loads(rows[0]["state"])) if rows else None


def _of_venue(venue: str | None, *, outside_runs: bool = False) -> tuple[str, tuple[Any, ...]]:
    """Rows of the runs on ``venue`` (journaled in the run's start row), and with ``outside_runs`` those of no run."""
    if venue is None:
        return "1 = 1", ()
    ours = "run_id IN (SELECT run_id FROM runs WHERE json_extract(detail, '$.venue') = ?)"
    return (f"({ours} OR run_id IS NULL)" if outside_runs else ours), (venue,)


def _where(
    *, symbol: str | None = None, venue: str | None = None, since: datetime | None = None
) -> tuple[str, tuple[Any, ...]]:
    clauses: list[str] = ["1 = 1"]
    params: list[Any] = []
    for column, value in (("symbol", symbol), ("venue", venue)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        clauses.append("at_ms >= ?")
        params.append(ms(since))
    return " AND ".join(clauses), tuple(params)


def _decision(r: Mapping[str, Any]) -> DecisionRecord:
    """A row of ``decisions``: an instrument's is keyed by its own symbol (see ``Journal.record_decisions``)."""
    target, current, in_flight, gap, price = (
        text_dec(r[name]) for name in ("target", "current", "in_flight", "gap", "price")
    )
    reason = ReasonCode(r["reason"])
    if r["asset"] == r["symbol"]:
        return InstrumentDecisionRecord(r["symbol"], reason, target, current, in_flight, gap, r["note"], price)
    return HoldingDecisionRecord(
        r["asset"],
        reason,
        r["symbol"],
        text_dec(r["value"]),
        text_dec(r["ratio"]),
        target,
        current,
        in_flight,
        gap,
        r["note"],
        price,
        text_dec(r["quantity"]),
    )


def _order(r: sqlite3.Row) -> JournalOrder:
    return JournalOrder(
        client_order_id=r["client_order_id"],
        venue=r["venue"],
        run_id=r["run_id"],
        intent_id=r["intent_id"],
        origin=OrderOrigin(r["origin"]),
        symbol=r["symbol"],
        side=Side(r["side"]),
        amount=Decimal(r["amount"]),
        price=text_dec(r["price"]),
        reduce_only=bool(r["reduce_only"]),
        post_only=bool(r["post_only"]),
        created_at=moment(r["at_ms"]),
        status=OrderStatus(r["status"]) if r["status"] is not None else None,
        order_id=r["order_id"],
        filled=text_dec(r["filled"]),
        average_price=text_dec(r["average_price"]),
        updated_at=moment(r["updated_ms"]) if r["updated_ms"] is not None else None,
        detail=r["last_detail"] or "",
    )
