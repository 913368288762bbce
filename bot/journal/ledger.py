"""The journal's ledger queries: each hedge's history (fills, funding, adoption) and past prices, for `hedgebot status`.

What the history and prices mean is defined in ``bot.core.status``; these queries only read what was journaled.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.core.status import LegHistory, SpotHistory
from bot.domain import Fill, FundingPayment, ReasonCode, Side
from bot.journal.codec import moment, ms, text_dec
from bot.journal.records import Heartbeat

# A fill of one of our orders: it carries our client order id, or (venues whose fills carry none, e.g. Binance)
# the venue order id of an order we journaled.
OURS = "(client_order_id LIKE 'hb%' OR order_id IN (SELECT order_id FROM order_events WHERE order_id IS NOT NULL))"


# The prices decisions were made at, with when (``at``): each cycle written in full, and the last cycle of each run
# of unchanged cycles. Parameters: the decision key, then its price's path in a run's figures (``_price_path``).
_PRICES = """
SELECT at, price, cycle_id FROM (
    SELECT c.at_ms AS at, d.price AS price, d.cycle_id AS cycle_id FROM decisions d
    JOIN cycles c ON c.cycle_id = d.cycle_id WHERE d.asset = ? AND d.price IS NOT NULL
    UNION ALL
    SELECT u.last_ms, json_extract(u.figures, ?), u.cycle_id FROM unchanged_cycles u
) WHERE price IS NOT NULL"""


def _price_path(key: str) -> str:
    """The JSON path of ``key``'s price in a run's figures (``bot.journal.folding.figures_of``)."""
    return f'$."{key}".price'


def fill_of(r: sqlite3.Row) -> Fill:
    return Fill(
        trade_id=r["trade_id"],
        order_id=r["order_id"],
        client_order_id=r["client_order_id"],
        symbol=r["symbol"],
        side=Side(r["side"]),
        amount=Decimal(r["amount"]),
        price=Decimal(r["price"]),
        fee=Decimal(r["fee"]),
        fee_currency=r["fee_currency"],
        maker=None if r["maker"] is None else bool(r["maker"]),
        timestamp=moment(r["at_ms"]),
    )


class LedgerQueries:
    """Mixed into ``JournalReader``, whose ``_rows`` runs the queries."""

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        raise NotImplementedError

    def order_symbols(self, venue: str) -> list[str]:
        """Every instrument the bot has journaled an order on at ``venue`` (each before its request left)."""
        rows = self._rows("SELECT DISTINCT symbol FROM orders WHERE venue = ? ORDER BY symbol", (venue,))
        return [r["symbol"] for r in rows]

    def hedged_symbols(self, venue: str) -> list[str]:
        """Every instrument the bot has filled an order on, or adopted a position on, at ``venue``."""
        rows = self._rows(
            f"SELECT symbol FROM fills WHERE venue = ? AND {OURS}"
            " UNION SELECT symbol FROM position_baselines WHERE venue = ? ORDER BY symbol",
            (venue, venue),
        )
        return [r["symbol"] for r in rows]

    def leg_history(
        self, venue: str, symbol: str, contract_size: Decimal, *, day_start: datetime, quote: str
    ) -> LegHistory:
        """The bot's hedge on ``symbol``: its latest adoption (if any), its own fills after it, the funding since
        the opening, and the instrument's mark in the last cycle before ``day_start``."""
        baselines = self._rows(
            "SELECT contracts, as_of_ms, price FROM position_baselines WHERE venue = ? AND symbol = ?"
            " ORDER BY baseline_id DESC LIMIT 1",
            (venue, symbol),
        )
        after = baselines[0]["as_of_ms"] if baselines else None
        fills = tuple(
            fill_of(r)
            for r in self._rows(
                f"SELECT * FROM fills WHERE venue = ? AND symbol = ? AND at_ms > ? AND {OURS} ORDER BY at_ms, rowid",
                (venue, symbol, after if after is not None else -1),
            )
        )
        opened = moment(after) if after is not None else fills[0].timestamp if fills else None
        funding = tuple(
            FundingPayment(
                payment_id=r["payment_id"],
                symbol=r["symbol"],
                amount=Decimal(r["amount"]),
                currency=r["currency"],
                rate=text_dec(r["rate"]),
                position_contracts=text_dec(r["position_contracts"]),
                timestamp=moment(r["at_ms"]),
            )
            for r in self._rows(
                "SELECT * FROM funding WHERE venue = ? AND symbol = ? AND at_ms >= ? ORDER BY at_ms",
                (venue, symbol, ms(opened)),
            )
        ) if opened is not None else ()  # fmt: skip
        return LegHistory(
            symbol=symbol,
            contract_size=contract_size,
            opened_at=opened,
            start_contracts=Decimal(baselines[0]["contracts"]) if baselines else Decimal(0),
            start_price=text_dec(baselines[0]["price"]) if baselines else None,
            fills=fills,
            funding=funding,
            fee_currency=quote,
            day_start_mark=self.price_before(symbol, day_start),
        )

    def spot_history(self, asset: str, opened_at: datetime | None, day_start: datetime) -> SpotHistory:
        """A holding's price at its opening and at the start of today (or the opening, if later)."""
        at_open = self.price_near(asset, opened_at) if opened_at is not None else None
        start = max(day_start, opened_at) if opened_at is not None else day_start
        return SpotHistory(asset, at_open, self.price_near(asset, start))

    def price_before(self, key: str, when: datetime) -> Decimal | None:
        """The price a decision for ``key`` (a holding's asset, or an instrument's symbol) was made at, in the last
        cycle at or before ``when`` whose price the journal keeps: a cycle written in full, or the last of a run of
        unchanged cycles (``bot.journal.folding``; a moment inside such a run gets the price its run started at, in
        the same UTC hour)."""
        rows = self._rows(
            f"{_PRICES} AND at <= ? ORDER BY at DESC, cycle_id DESC LIMIT 1", (key, _price_path(key), ms(when))
        )
        return Decimal(rows[0]["price"]) if rows else None

    def price_near(self, key: str, when: datetime) -> Decimal | None:
        """``price_before``, else the price in the first cycle after ``when``."""
        before = self.price_before(key, when)
        if before is not None:
            return before
        rows = self._rows(f"{_PRICES} AND at > ? ORDER BY at, cycle_id LIMIT 1", (key, _price_path(key), ms(when)))
        return Decimal(rows[0]["price"]) if rows else None

    def last_reasons(self) -> dict[str, str]:
        """Each holding's reason in the newest cycle that decided for it, or ``unwind`` when a later cycle unwound
        its hedge instrument (`hedgebot unwind` decides for instruments, not holdings: the holding's reason
        before it, e.g. hedged within band, is no longer true of a flat hedge)."""
        rows = self._rows(
            "SELECT d.asset, CASE WHEN EXISTS (SELECT 1 FROM decisions u WHERE u.asset = d.symbol"
            " AND u.symbol = d.symbol AND u.reason = ? AND u.cycle_id > d.cycle_id) THEN ? ELSE d.reason END AS reason"
            " FROM decisions d WHERE d.decision_id IN"
            " (SELECT MAX(decision_id) FROM decisions WHERE asset IS NOT symbol GROUP BY asset)",  # holdings only
            (ReasonCode.UNWIND.value, ReasonCode.UNWIND.value),
        )
        return {r["asset"]: r["reason"] for r in rows}

    def latest_heartbeat(self) -> Heartbeat | None:
        """The newest heartbeat, the switch state its run last reported, and whether that run has ended since."""
        rows = self._rows(
            "SELECT h.run_id, h.at_ms, h.switch,"
            " EXISTS (SELECT 1 FROM run_stops r WHERE r.run_id = h.run_id) AS stopped"
            " FROM heartbeats h ORDER BY h.at_ms DESC, h.rowid DESC LIMIT 1"
        )
        if not rows:
            return None
        r = rows[0]
        return Heartbeat(r["run_id"], moment(r["at_ms"]), r["switch"], bool(r["stopped"]))
